"""The type stub (`_engine.pyi`) says what the extension module has: every public name, and
for each function and method the same parameters, in order, with the same kinds."""

import ast
import inspect
import pathlib

import sparse_explorer
from sparse_explorer import _engine

STUB = pathlib.Path(sparse_explorer.__file__).with_name("_engine.pyi")


def stub_parameters(function: ast.FunctionDef):
    args = function.args
    names = [(a.arg, "positional") for a in args.posonlyargs + args.args]
    names += [(a.arg, "keyword") for a in args.kwonlyargs]
    return [n for n in names if n[0] not in ("self", "cls")]


def real_parameters(function):
    kinds = {
        inspect.Parameter.POSITIONAL_ONLY: "positional",
        inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional",
        inspect.Parameter.KEYWORD_ONLY: "keyword",
    }
    parameters = inspect.signature(function).parameters.values()
    return [(p.name, kinds[p.kind]) for p in parameters if p.name not in ("self", "cls")]


def public(names):
    return {n for n in names if not n.startswith("_")} | ({"__len__"} & set(names))


def test_the_stub_names_every_class_function_and_parameter_the_module_has():
    tree = ast.parse(STUB.read_text())
    stubbed = {node.name: node for node in tree.body if isinstance(node, (ast.ClassDef, ast.FunctionDef))}
    module = {n for n in dir(_engine) if not n.startswith("_")}
    assert set(stubbed) == module
    for name, node in stubbed.items():
        real = getattr(_engine, name)
        if isinstance(node, ast.FunctionDef):
            assert stub_parameters(node) == real_parameters(real), name
            continue
        members = {m.name: m for m in node.body if isinstance(m, ast.FunctionDef)}
        assert public(members) - {"__init__"} == public(vars(real)), name
        for member, definition in members.items():
            target = real if member == "__init__" else getattr(real, member)
            if isinstance(target, property) or inspect.isdatadescriptor(target):
                continue
            assert stub_parameters(definition) == real_parameters(target), f"{name}.{member}"
