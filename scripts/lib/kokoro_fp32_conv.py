"""Rewrites the int8 Kokoro export's ConvInteger blocks into float Conv.

ONNX Runtime's CPU ConvInteger kernel is slow (no packed int8 convolution); the dynamic
quantisation pattern DynamicQuantizeLinear -> ConvInteger -> Add(int bias) -> Cast -> Mul(scale)
becomes Conv(x, (w_q - w_zp) * w_scale, bias): the same weights, dequantised, at half the CPU time
per second of speech. MatMulInteger is left int8 (converting it gained nothing and doubled the
file). Usage: kokoro_fp32_conv.py IN.onnx OUT.onnx
"""

import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper
from onnx_prune import save_pruned


def main(src, dst):
    m = onnx.load(src)
    g = m.graph
    prod = {o: n for n in g.node for o in n.output}
    cons = {}
    for n in g.node:
        for i in n.input:
            cons.setdefault(i, []).append(n)
    inits = {i.name: i for i in g.initializer}
    remove = set()
    new_nodes = {}
    new_inits = []
    for n in list(g.node):
        if n.op_type != "ConvInteger":
            continue
        dql = prod[n.input[0]]
        x = dql.input[0]
        wq = numpy_helper.to_array(inits[n.input[1]]).astype(np.float32)
        wzp = numpy_helper.to_array(inits[n.input[3]]).astype(np.float32) if len(n.input) > 3 else 0.0
        (nxt,) = cons[n.output[0]]
        bias = None
        if nxt.op_type == "Add":
            add = nxt
            reshape = prod[add.input[1]]
            cast_b = prod[reshape.input[0]]
            floor = prod[cast_b.input[0]]
            div = prod[floor.input[0]]
            bias = div.input[0]
            (cast,) = cons[add.output[0]]
            remove.add(id(add))
        else:
            cast = nxt
        (mul,) = cons[cast.output[0]]
        scale_mul = prod[mul.input[1]]
        wscale_name = [i for i in scale_mul.input if i in inits][0]
        wscale = numpy_helper.to_array(inits[wscale_name]).astype(np.float32)
        wf = (wq - wzp) * wscale
        wname = n.name + "_weight_f32"
        new_inits.append(numpy_helper.from_array(wf.astype(np.float32), wname))
        inputs = [x, wname] + ([bias] if bias else [])
        conv = helper.make_node("Conv", inputs, [mul.output[0]], name=n.name + "_f32")
        conv.attribute.extend(n.attribute)
        new_nodes[id(mul)] = conv
        remove.update({id(n), id(cast)})
    nodes = []
    for n in g.node:
        if id(n) in new_nodes:
            nodes.append(new_nodes[id(n)])
        elif id(n) not in remove:
            nodes.append(n)
    # Drop what no longer feeds anything (quantisers, bias rounding).
    outputs = {o.name for o in g.output}
    while True:
        used = {i for n in nodes for i in n.input} | outputs
        kept = [n for n in nodes if any(o in used for o in n.output)]
        if len(kept) == len(nodes):
            break
        nodes = kept
    save_pruned(m, nodes, dst, new_inits)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
