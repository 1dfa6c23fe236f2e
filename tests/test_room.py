"""The class's link for the students (digitlab.room): the address they can open, whatever the teacher's browser
shows, and a QR code that reads back as that link."""

import cv2
import numpy as np
import pytest

from digitlab.room import app_address, class_link, local_only, network_link, qr_png


@pytest.mark.parametrize(
    "browser_url, headers, public, base_path, address",
    [
        ("http://127.0.0.1:8611/our_class?class=8K54BF", {}, "", "", "http://127.0.0.1:8611/"),  # the page dropped
        ("http://10.0.0.5:8501/train", {}, "http://digitlab.school.test", "", "http://digitlab.school.test/"),
        ("http://10.0.0.5:8501/", {}, " https://school.test/digits/?x=1 ", "", "https://school.test/digits/"),
        (
            "http://127.0.0.1:8601/our_class",  # behind nginx: what the students typed, not the upstream's address
            {"X-Forwarded-Host": "school.test:8080", "X-Forwarded-Proto": "http"},
            "",
            "",
            "http://school.test:8080/",
        ),
        (
            "http://a:1/",
            {"X-Forwarded-Host": "s.test, proxy.inner", "X-Forwarded-Proto": "https"},
            "",
            "",
            "https://s.test/",
        ),
        ("http://a:1/", {"X-Forwarded-Host": "evil.test/<script>"}, "", "", "http://a:1/"),  # forged: ignored
        ("http://a:1/", {"X-Forwarded-Proto": "javascript"}, "", "", "http://a:1/"),
        ("http://a:1/digits/draw", {}, "", "/digits/", "http://a:1/digits/"),  # server.baseUrlPath
        (None, {}, "", "", "http://localhost:8501/"),
    ],
    ids=[
        "the page's own address",
        "the public url wins",
        "the public url, tidied",
        "a proxy's forwarded host",
        "the first of several proxies",
        "a forged host",
        "a forged scheme",
        "a base path",
        "no address at all",
    ],
)
def test_the_link_is_the_address_students_use(browser_url, headers, public, base_path, address):
    assert app_address(browser_url, headers, public_url=public, base_path=base_path) == address


def test_the_public_url_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("DIGITLAB_PUBLIC_URL", "http://digitlab.school.test/")
    assert app_address("http://127.0.0.1:8611/our_class") == "http://digitlab.school.test/"
    assert class_link(app_address(None), "8K54BF") == "http://digitlab.school.test/?class=8K54BF"


@pytest.mark.parametrize(
    "address, local",
    [
        ("http://127.0.0.1:8611/", True),
        ("http://127.3.4.5/", True),
        ("http://localhost:8501/", True),
        ("http://[::1]:8501/", True),
        ("http://192.168.1.20:8501/", False),
        ("http://digitlab.school.test/", False),
    ],
)
def test_an_address_only_this_machine_opens_is_known(address, local):
    assert local_only(address) is local


def test_the_network_address_keeps_the_port_and_is_not_loopback():
    offered = network_link("http://127.0.0.1:8611/")
    if offered is not None:  # a machine with no network has none to offer
        assert offered.endswith(":8611/") and not local_only(offered)


def test_the_qr_code_reads_back_as_the_link():
    link = "http://digitlab.school.test/?class=8K54BF"
    picture = cv2.imdecode(np.frombuffer(qr_png(link), np.uint8), cv2.IMREAD_GRAYSCALE)
    assert cv2.QRCodeDetector().detectAndDecode(picture)[0] == link
