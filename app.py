from spex import create_app

app = create_app()
