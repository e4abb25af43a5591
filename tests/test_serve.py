"""`pol serve`: the HTTP API answers as the command line does, and bad requests get 422 naming each field."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate as validate_openapi
from starlette.testclient import TestClient

from pol.compiler.cli import main
from pol.compiler.server.app import create_app

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
CLASS1 = {"新药类别": "一类新药", "临床阶段": "III期", "临床研发费用": "1亿", "该品种已获研发扶持": 0}


@pytest.fixture(scope="module")
def client() -> TestClient:
    with TestClient(create_app([str(POLICIES)], max_body=64 * 1024)) as c:
        yield c


def cli_json(capsys, *argv: str) -> object:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_health_and_the_list_of_policies_with_their_status(client) -> None:
    health = client.get("/health").json()
    assert health["status"] == "ok" and "yantai" in health["policies"] and health["generation"] == 1
    listed = {p["key"]: p for p in client.get("/policies").json()}
    assert set(listed) == set(health["policies"])
    assert listed["liaocheng_draft"]["status"] == "征求意见稿" and not listed["liaocheng_draft"]["in_force"]
    assert listed["jiangsu"]["status"].startswith("已失效")
    assert listed["yantai"]["clauses"][0]["id"] == "创新药研发"
    assert client.get("/policies/yantai").json() == listed["yantai"]


def test_the_schema_is_the_one_pol_inputs_writes(client, capsys) -> None:
    assert client.get("/policies/yantai/schema").json() == cli_json(capsys, "inputs", str(POLICIES / "yantai.pol"))


def test_evaluate_answers_as_pol_eval_does(client, capsys, tmp_path) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(CLASS1, ensure_ascii=False), encoding="utf-8")
    expected = cli_json(
        capsys, "eval", str(POLICIES / "yantai.pol"), "--facts", str(facts), "--as-of", "2022-01-01", "--json"
    )
    got = client.post("/policies/yantai/evaluate", json={"facts": CLASS1, "as_of": "2022-01-01"})
    assert got.status_code == 200 and got.json() == expected
    one = client.post(
        "/policies/yantai/evaluate", json={"facts": CLASS1, "clauses": ["创新药研发"], "as_of": "2022-01-01"}
    ).json()
    assert [c["id"] for c in one["clauses"]] == ["创新药研发"] and one["totals"]["determined"] == "20000000.00"


def test_bad_facts_and_clauses_are_422_field_by_field_in_the_clis_words(client, capsys, tmp_path) -> None:
    bad = {"临床研发费用": "abc", "临床阶段": "IV期", "新药类型": "一类新药"}
    facts = tmp_path / "bad.json"
    facts.write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    capsys.readouterr()
    assert main(["eval", str(POLICIES / "yantai.pol"), "--facts", str(facts)]) == 2
    cli_words = capsys.readouterr().err
    got = client.post("/policies/yantai/evaluate", json={"facts": bad, "clauses": ["创新药研发", "创新药"]})
    assert got.status_code == 422
    errors = got.json()["errors"]
    assert [e["field"] for e in errors] == ["clauses[1]", "facts.临床研发费用", "facts.临床阶段", "facts.新药类型"]
    assert "did you mean '创新药研发'" in errors[0]["message"]
    for e in errors[1:]:
        assert e["message"] in " ".join(cli_words.split()), e  # the same sentence the command line prints
    assert "did you mean '新药类别'" in errors[3]["message"]


@pytest.mark.parametrize(
    "body, field",
    [
        (b"{not json", None),
        (b'{"facts": {}, "facts": {}}', "facts"),
        (b"[1, 2]", None),
        (b'{"facts": []}', "facts"),
        (b'{"facts": {}, "as_of": "2022-13-01"}', "as_of"),
        (b'{"facts": {}, "as_of": 20220101}', "as_of"),
        ('{"facts": {}, "clauses": "创新药研发"}'.encode(), "clauses"),
        (b'{"facts": {}, "extra": 1}', "extra"),
        (b"{}", "facts"),
        (b"\xff\xfe", None),
        (b'{"facts": {"\\ud800": 1}}', "facts"),
        (
            b'{"facts": {"\xe4\xb8\xb4\xe5\xba\x8a\xe7\xa0\x94\xe5\x8f\x91\xe8\xb4\xb9\xe7\x94\xa8": "\\udfff"}}',
            "facts.临床研发费用",
        ),
        (b'{"facts": {}, "clauses": ["\\ud800"]}', "clauses[0]"),
        (b'{"facts": {}, "as_of": "\\ud800"}', "as_of"),
        (b"[" * 100_000 + b"]" * 100_000, None),
    ],
)
def test_malformed_requests_are_422_never_500(client, body, field) -> None:
    got = client.post("/policies/yantai/evaluate", content=body, headers={"content-type": "application/json"})
    assert got.status_code in (413, 422), got.text
    if got.status_code == 422:
        assert got.json()["errors"][0]["field"] == field


def test_a_body_over_the_limit_is_413_whether_or_not_its_length_is_declared(client) -> None:
    big = json.dumps({"facts": {"临床研发费用": "1" * 70_000}}).encode()
    assert client.post("/policies/yantai/evaluate", content=big).status_code == 413

    def chunks():
        yield b'{"facts": {"x": "'
        for _ in range(100):
            yield b"1" * 1024
        yield b'"}}'

    assert client.post("/policies/yantai/evaluate", content=chunks()).status_code == 413


def test_unknown_policies_and_paths_are_json_404s(client) -> None:
    got = client.post("/policies/nowhere/evaluate", json={"facts": {}})
    assert got.status_code == 404 and got.json()["errors"][0]["field"] == "key"
    assert client.get("/nope").status_code == 404 and client.get("/nope").json()["detail"] == "Not Found"
    assert client.get("/policies/yantai/evaluate").status_code == 405


def test_match_eval_profile_and_compare_answer_as_the_cli_does(client, capsys) -> None:
    profile_file = ROOT / "examples" / "profiles" / "yantai_class1_drug.json"
    profile = json.loads(profile_file.read_text(encoding="utf-8"))
    expected = cli_json(
        capsys, "match", str(profile_file), "--policies", str(POLICIES), "--as-of", "2022-06-30", "--json"
    )
    assert client.post("/match", json={"profile": profile, "as_of": "2022-06-30"}).json() == expected
    expected = cli_json(capsys, "eval-profile", str(profile_file), "--policies", str(POLICIES), "--json")
    assert client.post("/eval-profile", json={"profile": profile}).json() == expected
    project_file = ROOT / "examples" / "compare" / "class1_drug_phase3.json"
    project = json.loads(project_file.read_text(encoding="utf-8"))
    named = [str(POLICIES / f"{key}.pol") for key in project["policies"]]
    expected = cli_json(capsys, "compare", str(project_file), "--policies", *named, "--json")
    assert client.post("/compare", json={"project": project}).json() == expected


def test_a_bad_profile_names_its_fields(client) -> None:
    got = client.post("/match", json={"profile": {"enterprise": "某企业", "facts": {"企业类型": "火星企业"}}})
    assert got.status_code == 422
    assert any(e["field"].startswith("profile.") and "火星企业" in e["message"] for e in got.json()["errors"])


def test_the_openapi_document_is_valid_and_uses_the_input_schemas(client, capsys) -> None:
    doc = client.get("/openapi.json").json()
    validate_openapi(doc)
    assert doc["openapi"] == "3.1.0"
    for key in client.get("/health").json()["policies"]:
        body = doc["paths"][f"/policies/{key}/evaluate"]["post"]["requestBody"]["content"]["application/json"]
        assert body["schema"]["properties"]["facts"] == {"$ref": f"#/components/schemas/Facts_{key}"}
    schema = cli_json(capsys, "inputs", str(POLICIES / "suzhou.pol"))
    schema.pop("$schema")
    assert doc["components"]["schemas"]["Facts_suzhou"] == schema


def test_the_reference_page_loads_only_from_the_service(client) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    assert "http://" not in page.text and "https://" not in page.text
    assert "validatorUrl: null" in page.text  # the badge would call validator.swagger.io
    for asset in ("static/swagger-ui-bundle.js", "static/swagger-ui.css"):
        assert client.get(f"/{asset}").status_code == 200


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=12)
    | st.decimals(allow_nan=False, allow_infinity=False).map(str),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


@settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    facts=st.dictionaries(
        st.sampled_from(["临床研发费用", "临床阶段", "新药类别", "企业类型", "租赁面积", "x"]), _JSON, max_size=4
    ),
    extra=st.dictionaries(st.sampled_from(["clauses", "as_of", "item"]), _JSON, max_size=2),
)
def test_no_request_body_gets_a_500(client, facts, extra) -> None:
    got = client.post("/policies/yantai/evaluate", json={"facts": facts, **extra})
    assert got.status_code in (200, 422), got.text
    got = client.post("/match", json={"profile": {"enterprise": "e", "facts": facts}, **extra})
    assert got.status_code in (200, 422), got.text


def test_a_reload_that_fails_keeps_serving_the_old_policies(tmp_path) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "yantai.pol").write_bytes((POLICIES / "yantai.pol").read_bytes())
    app = create_app([str(folder)])
    service = app.state.service
    (folder / "broken.pol").write_text("policy {", encoding="utf-8")
    assert "POL001" in (anyio.run(service.reload) or "")
    assert service.current.generation == 1
    (folder / "broken.pol").unlink()
    assert anyio.run(service.reload) is None and service.current.generation == 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sighup_reloads_without_dropping_a_request(tmp_path) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "pol", "serve", str(POLICIES / "yantai.pol"), "--port", str(port), "--no-access-log"],
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        statuses: list[int] = []
        stop = threading.Event()
        body = json.dumps({"facts": CLASS1, "as_of": "2022-01-01"}).encode()

        def hammer() -> None:
            while not stop.is_set():
                req = urllib.request.Request(
                    f"{base}/policies/yantai/evaluate", data=body, headers={"content-type": "application/json"}
                )
                with urllib.request.urlopen(req, timeout=10) as r:
                    statuses.append(r.status)

        threads = [threading.Thread(target=hammer) for _ in range(4)]
        for t in threads:
            t.start()
        for _ in range(3):
            time.sleep(0.4)
            os.kill(server.pid, signal.SIGHUP)
        for _ in range(300):  # each reload also starts a fresh worker process: allow them their time
            health = json.load(urllib.request.urlopen(f"{base}/health", timeout=5))
            if health["generation"] == 4:
                break
            time.sleep(0.1)
        time.sleep(0.3)
        stop.set()
        for t in threads:
            t.join()
        assert health["generation"] == 4
        assert statuses and set(statuses) == {200}
    finally:
        server.terminate()
        server.wait(timeout=10)
