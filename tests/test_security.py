"""Sign-in and sessions as an attacker would try them: guessing passwords, probing user names, replaying a
saved cookie, asking a JSON address without a session; the headers every answer carries; the access log."""
import hashlib
import os
import re
import socket
import subprocess
import sys
import time

import pytest
import requests

from spex import codes, create_app
from spex.extensions import db
from tests.conftest import PASSWORD, CsrfClient, login

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class OfficePc(CsrfClient):
    """A browser on its own PC: each request runs in an app context of its own, as under a real server,
    so nothing one browser's request left in `g` (the signed-in user, the CSRF token) is seen by another."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def pc(app):
    """Makes a new browser (its own cookies) on the test app."""
    app.test_client_class = OfficePc
    return app.test_client


@pytest.fixture
def client(pc):
    return pc()


def _sign_in(client, username, password):
    return client.post("/login", data={"username": username, "password": password})


def _signed_in(client) -> bool:
    """Whether the client's session still opens an office page (and not the sign-in form)."""
    response = client.get("/plan/jobs")
    return response.status_code == 200


# --- throttling -----------------------------------------------------------------------------------

def test_production_limits_are_the_ones_under_test(app):
    # The throttle tests below run with the defaults a real install gets.
    assert app.config["SPEX_LOGIN_LIMIT_PER_USER"] == "5 per minute"
    assert app.config["SPEX_LOGIN_LIMIT_PER_ADDRESS"] == "20 per minute"


def test_five_wrong_passwords_lock_that_user_name_even_for_the_right_one(client, make):
    make.user(codes.PLANNER, username="priya")
    make.commit()
    for _ in range(5):
        assert _sign_in(client, "priya", "guess").status_code == 401
    response = _sign_in(client, "priya", PASSWORD)
    assert response.status_code == 429
    text = response.get_data(as_text=True)
    assert "Too many failed sign-ins" in text and "<form" in text  # the sign-in page, saying why
    assert int(response.headers["Retry-After"]) >= 1
    assert not _signed_in(client)
    # The lock is on the name, however it is typed.
    assert _sign_in(client, " PRIYA ", PASSWORD).status_code == 429


def test_another_user_name_from_the_same_address_still_signs_in(client, make):
    make.user(codes.PLANNER, username="priya")
    other = make.user(codes.PLANNER, username="omar")
    make.commit()
    for _ in range(6):
        _sign_in(client, "priya", "guess")
    assert _sign_in(client, "priya", PASSWORD).status_code == 429
    login(client, other)
    assert _signed_in(client)


def test_successful_sign_ins_do_not_use_up_the_limit(app, client, make):
    # A shared office PC signs in one person after another all day.
    user = make.user(codes.PLANNER)
    make.commit()
    for _ in range(8):
        login(client, user)
        client.post("/logout")
    assert _sign_in(client, user.username, "one typo").status_code == 401
    login(client, user)


def test_an_address_spraying_many_user_names_is_throttled(client, make):
    real = make.user(codes.PLANNER, username="priya")
    make.commit()
    for n in range(20):  # four tries each at five names: under the per-name limit
        assert _sign_in(client, f"name{n % 5}", "guess").status_code == 401
    assert _sign_in(client, real.username, PASSWORD).status_code == 429
    # Another address is not held up by this one.
    elsewhere = client.application.test_client()
    response = elsewhere.post("/login", data={"username": real.username, "password": PASSWORD},
                              environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert response.status_code == 302


def test_a_new_app_starts_counting_from_nothing(db_url, tmp_path, make, client):
    # Counts live in the app's own storage: a new app (a restart, another test) starts from nothing.
    make.user(codes.PLANNER, username="priya")
    make.commit()
    for _ in range(5):
        _sign_in(client, "priya", "guess")
    assert _sign_in(client, "priya", PASSWORD).status_code == 429
    fresh = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "test-secret",
                        "SPEX_UPLOAD_DIR": str(tmp_path / "uploads")})
    fresh.test_client_class = OfficePc
    with fresh.app_context():
        assert fresh.test_client().post("/login", data={"username": "priya", "password": PASSWORD}).status_code == 302
        db.session.remove()
        db.engine.dispose()


def test_an_unknown_user_name_costs_the_same_password_check_as_a_known_one(client, make, monkeypatch):
    """Timing is not measured (no timed assertions): the work that takes the time, the password hash's
    key derivation, is counted for a real sign-in of each kind."""
    make.user(codes.PLANNER, username="priya")
    make.commit()
    derivations = []
    real_scrypt, real_pbkdf2 = hashlib.scrypt, hashlib.pbkdf2_hmac

    def scrypt(*args, **kwargs):
        derivations.append("scrypt")
        return real_scrypt(*args, **kwargs)

    def pbkdf2_hmac(*args, **kwargs):
        derivations.append("pbkdf2")
        return real_pbkdf2(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", scrypt)
    monkeypatch.setattr(hashlib, "pbkdf2_hmac", pbkdf2_hmac)
    _sign_in(client, "nobody", "guess")  # the first unknown name may also make the stand-in hash once

    def derived_for(username):
        derivations.clear()
        response = _sign_in(client, username, "guess")
        return response.status_code, "Unknown user name or wrong password" in response.get_data(as_text=True), \
            list(derivations)

    known = derived_for("priya")
    assert known == (401, True, ["scrypt"])
    assert derived_for("nobody-else") == known
    assert derived_for("") == known


# --- sessions end on the server -------------------------------------------------------------------

def _session_cookie(client) -> str:
    return client.get_cookie("session").value


def _replay(app, cookie: str):
    """A browser somewhere else that kept a copy of the session cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def test_a_cookie_saved_before_sign_out_does_not_sign_in_afterwards(app, client, login_as):
    login_as(codes.PLANNER)
    saved = _session_cookie(client)
    assert _signed_in(_replay(app, saved))
    client.post("/logout")
    replayed = _replay(app, saved)
    response = replayed.get("/plan/jobs")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert replayed.get("/jobs/1.json").status_code == 401


def test_a_new_password_set_by_an_admin_ends_the_users_sessions(app, client, make):
    planner = make.user(codes.PLANNER)
    admin = make.user(codes.ADMIN)
    make.commit()
    login(client, planner)
    saved = _session_cookie(client)
    office = app.test_client()
    login(office, admin)
    response = office.post(f"/masters/users/{planner.id}", data={
        "name": planner.name, "badge": planner.badge, "role": planner.role, "username": planner.username,
        "password": "a brand new secret"})
    assert response.status_code == 302
    assert not _signed_in(client)
    assert not _signed_in(_replay(app, saved))
    # The admin who did it is still signed in, and the new password works.
    assert _signed_in(office)
    assert _sign_in(app.test_client(), planner.username, "a brand new secret").status_code == 302


def test_editing_a_user_without_a_new_password_leaves_them_signed_in(app, client, make):
    planner = make.user(codes.PLANNER)
    admin = make.user(codes.ADMIN)
    make.commit()
    login(client, planner)
    office = app.test_client()
    login(office, admin)
    office.post(f"/masters/users/{planner.id}", data={
        "name": "Renamed Planner", "badge": planner.badge, "role": planner.role, "username": planner.username})
    assert _signed_in(client)


def test_an_admin_who_sets_their_own_password_stays_signed_in_here_only(app, client, make):
    admin = make.user(codes.ADMIN)
    make.commit()
    login(client, admin)
    elsewhere = app.test_client()
    login(elsewhere, admin)
    response = client.post(f"/masters/users/{admin.id}", data={
        "name": admin.name, "badge": admin.badge, "role": admin.role, "username": admin.username,
        "password": "my own new secret"})
    assert response.status_code == 302
    assert _signed_in(client)
    assert not _signed_in(elsewhere)


def test_deactivation_ends_the_session_for_good_even_after_reactivation(app, client, make):
    planner = make.user(codes.PLANNER)
    admin = make.user(codes.ADMIN)
    make.commit()
    login(client, planner)
    saved = _session_cookie(client)
    office = app.test_client()
    login(office, admin)
    assert office.post(f"/masters/users/{planner.id}/deactivate").status_code == 302
    assert not _signed_in(_replay(app, saved))
    assert office.post(f"/masters/users/{planner.id}/reactivate").status_code == 302
    # Brought back, they sign in again; the old cookie stays dead.
    assert not _signed_in(_replay(app, saved))
    assert not _signed_in(client)
    login(app.test_client(), planner)


# --- JSON addresses answer JSON -------------------------------------------------------------------

@pytest.mark.parametrize("path,headers", [("/jobs/24017.json", {}),
                                          ("/jobs/24017", {"Accept": "application/json"})])
def test_json_without_a_session_is_a_401_with_a_json_reason(client, path, headers):
    response = client.get(path, headers=headers)
    assert response.status_code == 401
    assert response.is_json and response.get_json()["error"] == "Not signed in"
    assert "Location" not in response.headers


def test_a_page_without_a_session_still_goes_to_the_sign_in_form(client):
    response = client.get("/jobs/24017")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


# --- headers ----------------------------------------------------------------------------------------

def test_signed_in_pages_and_fragments_are_not_stored(client, login_as):
    login_as(codes.PLANNER)
    assert client.get("/plan/jobs").headers["Cache-Control"] == "no-store"
    assert client.get("/jobs/24017.json").headers["Cache-Control"] == "no-store"
    assert client.get("/search?q=nothing", headers={"HX-Request": "true"}).headers["Cache-Control"] == "no-store"
    # Static files keep their own caching: they are the same for everyone.
    assert "no-store" not in client.get("/static/spex.css").headers.get("Cache-Control", "")


def test_no_hsts_over_plain_http(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_hsts_when_secure_cookies_are_on(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("SPEX_SECURE_COOKIES", "1")
    secure = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "test-secret",
                         "SPEX_UPLOAD_DIR": str(tmp_path / "uploads")})
    with secure.app_context():
        response = secure.test_client().get("/login", base_url="https://localhost")
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        db.session.remove()
        db.engine.dispose()


# --- the access log -----------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_kiosk_token_is_not_written_to_gunicorns_access_log(db_url, tmp_path):
    """A real gunicorn with Spex's settings, on loopback, answering the wall board's kiosk address."""
    port, log = _free_port(), tmp_path / "access.log"
    secret = "kiosk-secret-4d1f"
    env = {**os.environ, "DATABASE_URL": db_url, "SPEX_BOARD_TOKEN": secret, "SPEX_SECRET_KEY": "test-secret",
           "SPEX_UPLOAD_DIR": str(tmp_path / "uploads"),
           # The checkout first, and whatever the run already put on the path (CI's fake-date run needs its own).
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "python:spex.gunicorn_conf",
                               "--workers", "1", "--bind", f"127.0.0.1:{port}", "--access-logfile", str(log),
                               "app:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(url + "/login", timeout=10)  # the worker answers once it has loaded Spex
                break
            except (requests.ConnectionError, requests.Timeout):
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        screen = requests.Session()
        kiosk = screen.get(f"{url}/board/kiosk?token={secret}", timeout=30)
        assert kiosk.status_code == 200 and kiosk.url == f"{url}/board/kiosk"  # on to the board, without the token
        # A Referer and the poll of a screen that loaded its page before the cookie still name the token.
        requests.get(f"{url}/static/board.css", headers={"Referer": f"{url}/board/kiosk?token={secret}&page=2"},
                     timeout=30)
        requests.get(f"{url}/board/rows?kiosk=1&token={secret}", timeout=30)
    finally:
        server.terminate()
        server.wait(timeout=30)
    lines = log.read_text().splitlines()
    kiosk_lines = [line for line in lines if "/board/" in line]
    assert len(kiosk_lines) == 4, lines
    assert all(secret not in line for line in lines), lines
    assert re.search(r'"GET /board/kiosk\?token=\[redacted\] HTTP/1\.1" 302', kiosk_lines[0])
    assert re.search(r'"GET /board/kiosk HTTP/1\.1" 200', kiosk_lines[1])
    assert '"http://127.0.0.1:%d/board/kiosk?token=[redacted]&page=2"' % port in kiosk_lines[2]
    assert re.search(r'"GET /board/rows\?kiosk=1&token=\[redacted\] HTTP/1\.1" 200', kiosk_lines[3])
