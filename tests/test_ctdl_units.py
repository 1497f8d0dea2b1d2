"""Pure parts of CTDL: the type table, code normalisation, readers, and the validator's verdicts."""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from types import SimpleNamespace

from catalog.ctdl.frameworks import cip_candidates, occupation_candidates
from catalog.ctdl.export import skill_groups, skills_profile
from catalog.ctdl.reading import competency_levels, currency_code, read_details
from catalog.ctdl.types import ABSTRACT, CTDL_TYPES, STORED_TYPES, stored_type, subclasses
from catalog.ctdl.validate import SHAPES_FILE, document_loader, is_valid, validate_document
from store.facts import CREDENTIAL_TYPES

SAMPLE = Path(__file__).parent / "data" / "ctdl" / "certification_detailed.json"


def test_every_credential_type_is_one_stable_concrete_subclass_and_back():
    assert set(CTDL_TYPES) == set(CREDENTIAL_TYPES)
    assert len(set(CTDL_TYPES.values())) == len(CTDL_TYPES)
    stable = {c for c, row in subclasses().items() if row["term_status"] == "stable"} - ABSTRACT
    assert set(CTDL_TYPES.values()) == stable  # all 21 stable concrete subclasses, nothing else
    for ours, ctdl in CTDL_TYPES.items():
        assert stored_type(ctdl) == (ours, True) and STORED_TYPES[ctdl] == ours


def test_unstable_subclasses_import_as_their_nearest_stored_type():
    assert stored_type("ceterms:AssociateOfAppliedScienceDegree") == ("associate_degree", False)
    assert stored_type("https://purl.org/ctdl/terms/BachelorOfArtsDegree") == ("bachelor_degree", False)
    assert stored_type("ceterms:PreApprenticeshipCertificate") == ("certificate", False)
    assert stored_type("ceterms:Degree") == ("", False)
    assert all(stored_type(c)[0] or c in ("ceterms:Degree", "ceterms:SpecialistDegree") for c in subclasses())


def test_the_shapes_list_exactly_the_concrete_subclasses():
    listed = re.search(r"sh:path rdf:type ; sh:in \(([^)]*)\)", SHAPES_FILE.read_text()).group(1).split()
    assert set(listed) == (set(subclasses()) - {"ceterms:Degree"}) | {"cc:CredentialRecord"}


def test_older_codes_are_carried_to_our_editions():
    assert occupation_candidates("15-1122.00")[1] == "15-1212.00"  # O*NET-SOC 2010 -> 2019
    assert occupation_candidates("15-1122.00", old_edition=True)[0] == "15-1212.00"
    assert occupation_candidates("29-1141")[0] == "29-1141.00"
    assert occupation_candidates("nurse") == []
    assert cip_candidates("513801") == ["51.3801"] and cip_candidates("1.0101") == ["01.0101"]
    assert cip_candidates("51.1601", old_edition=True)[0] != "" and cip_candidates("x") == []


def test_readers_take_what_publishers_write():
    assert [currency_code(v) for v in ("usd", "US Dollar", "€", 5)] == ["USD", "USD", None, None]
    details = read_details({"@type": "ceterms:MasterOfScienceDegree", "ceterms:name": {"es": "Maestría", "en-US": "MSc"},
                            "ceterms:inLanguage": ["en-US"], "ceterms:keyword": {"en": ["a", "b"]},
                            "ceterms:estimatedDuration": [{"ceterms:exactDuration": "PT40H"}],
                            "ceterms:learningDeliveryType": [{"ceterms:targetNode": "deliveryType:InPerson"},
                                                             {"ceterms:targetNode": "deliveryType:OnlineOnly"}]})
    assert (details["name"], details["language"], details["keywords"]) == ("MSc", "en", ["a", "b"])
    assert (details["credential_type"], details["duration"], details["delivery_mode"]) == (
        "master_degree", {"value": 40, "unit": "hours"}, "blended")


def test_the_context_comes_from_the_bundle_and_nothing_is_fetched():
    assert document_loader("http://credreg.net/ctdl/schema/context/json")["document"]["@context"]["ceterms"]
    try:
        document_loader("https://example.org/other-context")
    except Exception as exc:  # noqa: BLE001
        assert "nothing is fetched" in str(exc)
    else:
        raise AssertionError("an unknown context URL must be refused")


def test_invalid_records_are_refused_with_json_paths():
    good = json.loads(SAMPLE.read_text())
    assert is_valid(validate_document(good))
    cases = {
        "@type": lambda n: n.update({"@type": "ceterms:Degree"}),
        "ceterms:ctid": lambda n: n.update({"ceterms:ctid": "ce-123"}),
        "ceterms:description": lambda n: n.update({"ceterms:description": {"en-US": "too short"}}),
        "ceterms:subjectWebpage": lambda n: n.pop("ceterms:subjectWebpage"),
        "ceterms:credentialStatusType": lambda n: n["ceterms:credentialStatusType"].update(
            {"ceterms:targetNode": "credentialStat:Unknown"}),
        "ceterms:occupationType": lambda n: n["ceterms:occupationType"].append({"@type": "ceterms:Thing"}),
        "ceterms:name": lambda n: n.update({"ceterms:name": "not a language map"}),
        # A skill level is one text per language; an external target is a named node of the graph.
        "ceterms:requires": lambda n: n["ceterms:requires"][0].update({"ceterms:experience": {"en-US": ["Novice", "Expert"]}}),
        "ceterms:isPreparationFor": lambda n: n["ceterms:isPreparationFor"][0]["ceterms:targetCredential"].append("_:nowhere"),
    }
    for prop, break_it in cases.items():
        bad = copy.deepcopy(good)
        break_it(bad["@graph"][0])
        problems = [p for p in validate_document(bad) if p["level"] == "error"]
        assert problems and any(p["path"].startswith("$.@graph[0]." + prop) for p in problems), (prop, problems)
    owner = copy.deepcopy(good)
    del owner["@graph"][0]["ceterms:ownedBy"]
    assert any("ownedBy or ceterms:offeredBy" in p["reason"] for p in validate_document(owner))
    assert validate_document({"@context": "https://example.org/x", "@graph": []})[0]["path"] == "$.@context"
    assert not is_valid(validate_document(7))


def test_skill_levels_go_out_as_profile_texts_and_come_back():
    skill = lambda code, low, high: SimpleNamespace(skill_code=code, min_level=low, acquired_level=high)  # noqa: E731
    groups = skill_groups([skill("a", "", ""), skill("b", "Novice", "Expert"), skill("c", "Novice", "Expert"),
                           skill("d", "", "")])
    assert groups == [("", "", ["a"]), ("Novice", "Expert", ["b", "c"]), ("", "", ["d"])]  # order kept
    profile = skills_profile([], "Novice", "Expert", "en")
    assert (profile["ceterms:experience"], profile["ceterms:name"]) == ({"en-US": "Novice"}, {"en-US": "Expert"})
    assert competency_levels(profile, "en") == {"min_level": "Novice", "acquired_level": "Expert"}
    assert competency_levels(skills_profile([], "", "", "en"), "en") == {"min_level": "", "acquired_level": ""}
    assert competency_levels({"ceterms:name": {"en-US": ["a", "b"]}}, "en") is None


def test_blank_node_ids_are_uuid5_of_what_they_describe():
    import uuid

    from catalog.ctdl.export import _blank

    for parts in (("ce-1",), ("ce-2", "program", 5), ("ce-3", "relation", "related", "51.0000", "certificate", "ñ")):
        assert _blank(*parts) == "_:" + str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(map(str, parts))))
