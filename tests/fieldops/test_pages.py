import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_login_page_renders_for_anonymous(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert b'name="username"' in response.content


def test_pages_require_sign_in(client):
    response = client.get("/my-work/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize(
    ("persona", "home"),
    [
        ("technician", "/my-work/"),
        ("dispatcher", "/board/"),
        ("supervisor", "/dashboard/"),
        ("admin_member", "/dashboard/"),
    ],
)
def test_each_role_lands_on_its_home(client, request, persona, home):
    from tests.factories import PASSWORD

    membership = request.getfixturevalue(persona)
    response = client.post(
        "/login/", {"username": membership.user.username, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == home
    assert response.status_code == 200


def test_wrong_password_says_so_and_keeps_the_username(client, technician):
    response = client.post("/login/", {"username": technician.user.username, "password": "nope"})
    assert response.status_code == 200
    assert b"do not match" in response.content
    assert technician.user.username.encode() in response.content


def test_user_without_organisation_is_told_what_to_do(client):
    user = UserFactory()
    client.force_login(user)
    response = client.get("/", follow=True)
    assert response.status_code == 403
    assert b"not part of an organisation" in response.content


def test_logout_ends_the_session(as_member, technician):
    client = as_member(technician)
    assert client.post("/logout/").status_code == 302
    assert client.get("/my-work/").status_code == 302


def test_base_layout_serves_htmx_manifest_and_service_worker(as_member, technician):
    page = as_member(technician).get("/my-work/").content.decode()
    assert "vendor/htmx-2.0.11.min.js" in page
    assert 'rel="manifest"' in page
    assert "X-CSRFToken" in page


def test_service_worker_is_served_from_the_root(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert b"/static/vendor/htmx-2.0.11.min.js" in response.content
    manifest = client.get("/manifest.webmanifest").json()
    assert manifest["display"] == "standalone"
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}


def test_precached_shell_files_exist(client):
    import re

    sw = client.get("/sw.js").content.decode()
    for path in re.findall(r'"(/static/[^"]+)"', sw):
        assert client.get(path).status_code == 200, path


def test_repeated_failed_sign_ins_are_refused_for_a_while(client, technician, settings):
    from tests.factories import PASSWORD

    settings.LOGIN_FAILURES_PER_USER = 3
    name = technician.user.username
    for _ in range(3):
        assert client.post("/login/", {"username": name, "password": "guess"}).status_code == 200
    blocked = client.post("/login/", {"username": name, "password": PASSWORD})
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    assert b"Too many failed sign-ins" in blocked.content
    assert "_auth_user_id" not in client.session


def test_a_successful_sign_in_clears_earlier_failures(client, technician, settings):
    from tests.factories import PASSWORD

    settings.LOGIN_FAILURES_PER_USER = 3
    name = technician.user.username
    for _ in range(2):
        client.post("/login/", {"username": name, "password": "guess"})
    assert client.post("/login/", {"username": name, "password": PASSWORD}).status_code == 302
    client.logout()
    for _ in range(2):
        client.post("/login/", {"username": name, "password": "guess"})
    assert client.post("/login/", {"username": name, "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize(
    ("persona", "links", "absent"),
    [
        ("technician", ["/my-work/", "/assets/"], ["/board/", "/dashboard/", "/work-orders/"]),
        ("dispatcher", ["/board/", "/dashboard/", "/work-orders/", "/requests/"], ["/my-work/"]),
        ("supervisor", ["/dashboard/", "/work-orders/", "/requests/"], ["/board/", "/my-work/"]),
        ("admin_member", ["/board/", "/dashboard/", "/work-orders/"], ["/my-work/"]),
    ],
)
def test_each_role_finds_its_pages_in_the_top_bar(as_member, request, persona, links, absent):
    page = as_member(request.getfixturevalue(persona)).get("/assets/").content.decode()
    nav = page[page.index('<nav class="nav"') : page.index("</nav>")]
    for link in links:
        assert f'href="{link}"' in nav, link
    for link in absent:
        assert f'href="{link}"' not in nav, link
