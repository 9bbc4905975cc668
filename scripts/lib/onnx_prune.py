"""Shared by the model rewrites: sets a graph's nodes, drops the initializers no node reads any
more, checks the model and saves it."""

import onnx


def save_pruned(m, nodes, dst, new_inits=()):
    g = m.graph
    del g.node[:]
    g.node.extend(nodes)
    g.initializer.extend(new_inits)
    used = {i for n in nodes for i in n.input}
    keep = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(keep)
    onnx.checker.check_model(m)
    onnx.save(m, dst)
