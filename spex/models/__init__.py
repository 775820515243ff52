"""The domain model: one module per aggregate. Importing this package registers every table."""
from spex.models._types import clock_at, clock_running_from, qty, utcnow  # noqa: F401
from spex.models.people import ScanRecord, Station, StationState, User  # noqa: F401
from spex.models.masters import Customer, Part, RoutingStep, Vendor, WorkCenter  # noqa: F401
from spex.models.stock import (LOCATION_KINDS, STOCK_KINDS, FinishedGoodsLot, Location, Material,  # noqa: F401
                               MaterialLot, PrintJob, StockUnit)
from spex.models.orders import (STRATEGIES, CustomerOrder, OrderLine, Release, StockingProgram,  # noqa: F401
                               StockingRelease)
from spex.models.jobs import (JOB_STATUSES, OPEN_STATUSES, Job, JobOperation, OutsideReceipt,  # noqa: F401
                              OutsideShipment, QualityHold, job_order_lines)
from spex.models.ledger import Balance, LedgerEntry  # noqa: F401
from spex.models.traceability import (CERT_TYPES, CertElement, LotCorrection, MasterChange,  # noqa: F401
                                      MaterialLimit, MillCert, ReceivingHold)
from spex.models.shipping import SHP, Shipment, ShipmentLine, ShipmentLot  # noqa: F401
from spex.models.books import NonConformance, PlanChange  # noqa: F401
from spex.models.counts import COUNT_STATUSES, FINISHED_STATUSES, Count, CountLine  # noqa: F401
from spex.models.cutplans import CutPlanLine  # noqa: F401
from spex.models.purchasing import (BUY_UNITS, PO_STATES, PurchaseNeed, PurchaseOrder,  # noqa: F401
                                   PurchaseOrderLine, PurchaseReceipt)
