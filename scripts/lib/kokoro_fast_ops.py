"""Rewrites the Kokoro graph into forms ONNX Runtime's CPU kernels run faster, with the same
weights and arithmetic.

- 1-D convolutions as 2-D ones of height 1: the CPU provider lays 2-D convolutions out in blocks
  of channels (NCHWc) and runs them with its direct kernels, while a 1-D convolution goes through
  im2col and a matrix product. Each Conv whose weight is [out, in, k] becomes
  Unsqueeze(axis 2) -> Conv with weight [out, in, 1, k] (kernel, dilations, strides and pads
  extended by the unit height) -> Squeeze(axis 2). About 11 % less synthesis time on two cores.
- Squares as products: Pow(x, 2) -> Mul(x, x) (the snake activations' sin^2; Pow is a generic
  kernel). The same output bit for bit, about 3 % less time.

Usage: kokoro_fast_ops.py IN.onnx OUT.onnx
"""

import sys

import onnx
from onnx import helper, numpy_helper
from onnx_prune import save_pruned

AXES = "conv2d_height_axis"


def constants(g):
    """The graph's constant tensors by name: initializers and Constant nodes' values."""
    found = {i.name: i for i in g.initializer}
    for n in g.node:
        if n.op_type == "Constant":
            for a in n.attribute:
                if a.name == "value":
                    found[n.output[0]] = a.t
    return found


def is_two(t):
    if t is None:
        return False
    v = numpy_helper.to_array(t)
    return v.size == 1 and float(v.reshape(-1)[0]) == 2.0


def main(src, dst):
    m = onnx.load(src)
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    consts = constants(g)
    g.initializer.append(helper.make_tensor(AXES, onnx.TensorProto.INT64, [1], [2]))
    nodes = []
    for k, n in enumerate(g.node):
        if n.op_type == "Pow" and is_two(consts.get(n.input[1])):
            n.op_type = "Mul"
            n.input[1] = n.input[0]
        w = inits.get(n.input[1]) if n.op_type == "Conv" else None
        if w is None or len(w.dims) != 3:
            nodes.append(n)
            continue
        w2 = numpy_helper.to_array(w)[:, :, None, :]
        w2name = f"{w.name}_h1"
        g.initializer.append(numpy_helper.from_array(w2, w2name))
        x, y = n.input[0], n.output[0]
        up = helper.make_node("Unsqueeze", [x, AXES], [f"{x}_h1_{k}"], name=f"{n.name}_h1_in")
        down = helper.make_node("Squeeze", [f"{y}_h1", AXES], [y], name=f"{n.name}_h1_out")
        n.input[0], n.input[1], n.output[0] = f"{x}_h1_{k}", w2name, f"{y}_h1"
        for a in n.attribute:
            if a.name in ("kernel_shape", "dilations", "strides"):
                a.ints[:] = [1] + list(a.ints)
            elif a.name == "pads":
                begin, end = list(a.ints)
                a.ints[:] = [0, begin, 0, end]
        nodes += [up, n, down]
    # The exponents' Constant nodes feed nothing now: drop them.
    used = {i for n in nodes for i in n.input} | {o.name for o in g.output}
    nodes = [n for n in nodes if n.op_type != "Constant" or any(o in used for o in n.output)]
    save_pruned(m, nodes, dst)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
