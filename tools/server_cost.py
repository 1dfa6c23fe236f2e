"""The server's CPU per Draw-page rerun: one protocol session draws pen digits alone (a diagnosis, not a test).

    python -m tools.server_cost [--digits 40]

Starts `streamlit run app.py` on 127.0.0.1 and one client speaking Streamlit's protocol as the page does
(tools.streamlit_protocol.ProtocolSession: the canvas's real value, the fragment's id, the preview
fetched). After 3 warm-up digits it draws --digits more, each reset then stroke by stroke, and prints the
server's CPU seconds (its process and children: tools.processes) per rerun. In a classroom this cost, times the reruns
per second, is the share of a core the server needs, and what queues the answers.
"""

import argparse
import asyncio
import json
import os

from digitlab.config import PEN_SAMPLE
from digitlab.pen import canvas_strokes, load_pen_digits
from tools.browser import StreamlitServer
from tools.processes import cpu_seconds
from tools.streamlit_protocol import ProtocolSession, render_pngs

WARM_UP = 3


async def measure(digits: int) -> dict:
    pen = load_pen_digits(PEN_SAMPLE)
    render_pngs(pen)  # the canvas pictures the client sends, made before any timing
    order = [(canvas_strokes(pen.strokes(i)), int(pen.labels[i]), i) for i in range(min(len(pen), WARM_UP + digits))]
    with StreamlitServer("app.py") as server:
        session = ProtocolSession("alone", server.url)
        await session.connect(60_000)
        for strokes, label, i in order[:WARM_UP]:
            await session.one_digit(strokes, label, server.url, 30_000, record=False, sample=i)
        before, reruns = cpu_seconds(server.process.pid), 0
        for strokes, label, i in order[WARM_UP:]:
            await session.one_digit(strokes, label, server.url, 30_000, sample=i)
            reruns += len(strokes) + 1  # the reset, then one rerun per stroke
        spent = cpu_seconds(server.process.pid) - before
    return {
        "digits": len(order) - WARM_UP,
        "reruns": reruns,
        "server_cpu_ms_per_rerun": round(spent / reruns * 1000, 2),
        "read_right": session.right,
        "errors": session.errors,
        "blas_threads_env": os.environ.get("OPENBLAS_NUM_THREADS"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", type=int, default=40, help="digits measured after the warm-up (default: 40)")
    print(json.dumps(asyncio.run(measure(parser.parse_args().digits))))


if __name__ == "__main__":
    main()
