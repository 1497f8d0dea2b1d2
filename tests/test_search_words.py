"""Public search on words the standard analyzer loses or people misspell, and the public pages'
heading order, against real OpenSearch.

- "A+" is a certification's name ("CompTIA A+"): the "+" must not be read as the AND operator and
  the "a" left over must not vanish as a stop word.
- "flebotomy" misses the first letter of "phlebotomy": did-you-mean must not insist that the
  first letter is right.
- Headings go h1, h2, h3 without skipping a level, on every public page (axe-core's heading-order).

Credentials reach the index through the real outbox, drained in this process.
"""
from __future__ import annotations

import dataclasses
import uuid
from html.parser import HTMLParser

import pytest

from indexer import operations
from tests.support.factories import make_credential, make_org_and_editor, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def words(settings, database):
    # The credentials index alone: nothing here reads the vocabulary indices (`indices` builds them).
    operations.init_indices(settings)
    url = settings.database_url
    org, _ = make_org_and_editor(url)
    ids = {
        "aplus": make_credential(url, org, name="CompTIA A+ Certification Prep", credential_type="certification",
                                 description="Hardware, operating systems and troubleshooting for IT support.",
                                 cip_codes=["11.1006"], occupations=("15-1232.00",), sectors=("5415",)),
        "network": make_credential(url, org, name="CompTIA Network+ Certification Prep",
                                   credential_type="certification", cip_codes=["11.0901"],
                                   occupations=("15-1244.00",), sectors=("5415",)),
        # The lone word "a" must not be what "A+" finds.
        "decoy": make_credential(url, org, name="A Certificate in Computer User Support",
                                 credential_type="certificate", cip_codes=["11.1006"],
                                 occupations=("15-1232.00",), sectors=("5415",)),
        "phlebotomy": make_credential(url, org, name=f"Phlebotomy Technician Certificate {uuid.uuid4().hex[:4]}",
                                      credential_type="certificate", description="Drawing blood safely.",
                                      cip_codes=["51.1009"], occupations=("31-9097.00",), sectors=("62",)),
    }
    operations.drain(settings)
    return {"org": str(org), **ids}


@pytest.fixture(scope="module")
def client(settings, words):
    from webapp import create_app

    # These tests look at what is found and how pages are built, not at latency: a busy shared
    # OpenSearch must not turn a page into the 503 that the 1.5 s web timeout gives.
    client = create_app(dataclasses.replace(settings, web_timeout=15.0), TESTING=True).test_client()
    wait_for(lambda: search(client, issuer=words["org"])["total"] == 4, timeout=60,
             message="this module's four credentials in the index")
    return client


def search(client, **params) -> dict:
    response = client.get("/api/v1/search", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_a_plus_finds_comptia_a_plus_and_not_every_a(client, words):
    def found(query: str) -> set[int]:
        return {hit["id"] for hit in search(client, q=query, issuer=words["org"])["hits"]}

    for query in ("A+", "a+", "comptia A+", "A+ certification"):
        assert found(query) == {words["aplus"]}, query
    # "network" still finds "Network+" (and credentials for network-ish occupations), and
    # "Network+" means that one.
    assert words["network"] in found("network")
    assert found("Network+") == {words["network"]}


def test_a_misspelt_first_letter_still_gets_a_did_you_mean(client, words):
    answer = search(client, q="flebotomy")
    assert answer["total"] == 0
    assert answer.get("did_you_mean") == "phlebotomy"
    page = client.get("/search", query_string={"q": "flebotomy"}).get_data(as_text=True)
    assert "Did you mean" in page and ">phlebotomy</a>" in page


class Headings(HTMLParser):
    def __init__(self):
        super().__init__()
        self.levels: list[int] = []

    def handle_starttag(self, tag, attrs):
        if len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self.levels.append(int(tag[1]))


def heading_levels(html: str) -> list[int]:
    parser = Headings()
    parser.feed(html)
    return parser.levels


def test_public_pages_never_skip_a_heading_level(client, words):
    pages = ["/", "/search", f"/search?q=certificate&issuer={words['org']}", "/search?q=flebotomy",
             "/search?q=zzqx+phlebotomy", f"/credentials/{words['aplus']}", "/browse/occupations", "/browse/sectors"]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        levels = heading_levels(response.get_data(as_text=True))
        assert 1 in levels, path
        jumps = [(a, b) for a, b in zip(levels, levels[1:]) if b > a + 1]
        assert not jumps, f"{path}: heading levels {levels} skip from h{jumps[0][0]} to h{jumps[0][1]}"
