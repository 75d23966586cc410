"""Travel matrices: the straight-line default in literal minutes; OSRM and Valhalla parsed from
their real answer shapes (served by httpx's mock transport: no network in tests)."""

import json
import subprocess
import sys

import httpx

from workorders.dispatch.planning.travel import Osrm, StraightLine, Valhalla

BERLIN_HBF = (52.5251, 13.3694)
ALEXANDERPLATZ = (52.5219, 13.4132)  # 2.98 km east
POTSDAM = (52.3906, 13.0645)  # 25.5 km south-west as the crow flies


def test_straight_line_minutes_table():
    # (road factor, speed km/h) -> minutes Hbf->Alex, Hbf->Potsdam (rounded up)
    table = [
        ((1.0, 60.0), (3, 26)),
        ((1.3, 30.0), (8, 67)),
        ((1.3, 50.0), (5, 40)),
    ]
    got = []
    for (factor, speed), _ in table:
        rows = StraightLine(road_factor=factor, speed_kmh=speed).minutes(
            [BERLIN_HBF, ALEXANDERPLATZ, POTSDAM]
        )
        assert [rows[i][i] for i in range(3)] == [0, 0, 0]
        got.append(((factor, speed), (rows[0][1], rows[0][2])))
    assert got == table


def test_osrm_table_is_read_in_minutes_and_unroutable_pairs_never_look_short():
    seen = {}

    def answer(request: httpx.Request) -> httpx.Response:
        seen["url"] = str(request.url)
        body = {"code": "Ok", "durations": [[0, 301.2], [None, 0]]}
        return httpx.Response(200, json=body)

    client = httpx.Client(transport=httpx.MockTransport(answer))
    minutes = Osrm("http://127.0.0.1:5000/", client=client).minutes([BERLIN_HBF, POTSDAM])
    assert minutes == [[0, 6], [1440, 0]]
    assert seen["url"] == (
        "http://127.0.0.1:5000/table/v1/driving/13.369400,52.525100;13.064500,52.390600"
        "?annotations=duration"
    )


def test_valhalla_matrix_is_read_in_minutes():
    def answer(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)
        assert sent["costing"] == "auto"
        assert sent["sources"] == [
            {"lat": 52.5251, "lon": 13.3694},
            {"lat": 52.3906, "lon": 13.0645},
        ]
        rows = [[{"time": 0}, {"time": 1500}], [{"time": 1490}, {"time": 0}]]
        return httpx.Response(200, json={"sources_to_targets": rows})

    client = httpx.Client(transport=httpx.MockTransport(answer))
    assert Valhalla("http://127.0.0.1:8002", client=client).minutes([BERLIN_HBF, POTSDAM]) == [
        [0, 25],
        [25, 0],
    ]


def test_the_solver_core_imports_no_django():
    code = (
        "import sys; import workorders.dispatch.planning.solver, "
        "workorders.dispatch.planning.greedy; print('django' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
