"""Gives the Kokoro graph a duration cap input and a durations output.

Kokoro predicts how many frames (600 samples at 24 kHz each) every input token lasts, then
renders that many frames. This rewrite changes nothing in the weights; it adds
  input  `duration_cap`  float [tokens]: an upper bound on each token's frames (`Min` after the
                         predictor's rounding), so the engine can keep the edge pads and a
                         phrase's closing mark from rendering silence it would trim anyway;
  output `durations`     float [1, tokens]: the frames each token got, from which the engine times
                         every word and phrase exactly instead of estimating.
Usage: kokoro_durations.py IN.onnx OUT.onnx
"""

import sys

import onnx
from onnx import TensorProto, helper


def main(src, dst):
    m = onnx.load(src)
    g = m.graph
    cons = {}
    for n in g.node:
        for i in n.input:
            cons.setdefault(i, []).append(n)
    # The predictor's durations: Div(sum of sigmoids, speed) -> Round -> Clip(min 1).
    (rounding,) = [n for n in g.node if n.op_type == "Round" and n.name.startswith("/encoder/")]
    (clip,) = cons[rounding.output[0]]
    assert clip.op_type == "Clip", clip.op_type
    frames = clip.output[0]
    capped = "durations"
    at = list(g.node).index(clip) + 1
    g.node.insert(at, helper.make_node("Min", [frames, "duration_cap"], [capped], name="/encoder/DurationCap"))
    for n in g.node:
        if n.name == "/encoder/DurationCap":
            continue
        for k, i in enumerate(n.input):
            if i == frames:
                n.input[k] = capped
    g.input.append(helper.make_tensor_value_info("duration_cap", TensorProto.FLOAT, ["tokens"]))
    g.output.append(helper.make_tensor_value_info(capped, TensorProto.FLOAT, [1, "tokens"]))
    onnx.checker.check_model(m)
    onnx.save(m, dst)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
