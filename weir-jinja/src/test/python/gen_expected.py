#!/usr/bin/env python3
"""Renders every corpus template (src/test/resources/corpus/*.j2) with real Python Jinja2 and writes
<name>.expected (rendered output) or <name>.error ("<kind> <line>") next to it.

Environment: jinja2.ext.do + jinja2.ext.loopcontrols, Jinja2 defaults otherwise. dbt's `return` is emulated exactly
like dbt does it: a global that raises an exception caught by the macro invocation, so the macro call evaluates to
the returned value. File-name prefixes select options:
  ws_trim_*   trim_blocks=True            ws_lstrip_*  lstrip_blocks=True
  ws_both_*   trim_blocks+lstrip_blocks   ws_keepnl_*  keep_trailing_newline=True
  strict_*    StrictUndefined             chain_*      ChainableUndefined
Error kinds: syntax | undefined | runtime; the line is the template line Jinja2 reports (0 if unknown).
Usage: python3 gen_expected.py [corpus_dir]
"""
import os
import sys
import traceback

import jinja2
from jinja2.runtime import Macro

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "resources", "corpus")


class MacroReturn(Exception):
    def __init__(self, value):
        super().__init__()
        self.value = value


def _return(value=None):
    raise MacroReturn(value)


_orig_invoke = Macro._invoke


def _invoke(self, arguments, autoescape):
    try:
        return _orig_invoke(self, arguments, autoescape)
    except MacroReturn as e:
        return e.value


Macro._invoke = _invoke


def standard_vars():
    # Keep in sync with CorpusTest.standardVars() in the Java tests.
    return {
        "items": [1, 2, 3],
        "words": ["apple", "Banana", "cherry"],
        "d": {"a": 1, "b": 2},
        "users": [
            {"name": "alice", "age": 30, "city": "Paris"},
            {"name": "bob", "age": 25, "city": "Berlin"},
            {"name": "carol", "age": 35, "city": "Paris"},
        ],
        "name": "World",
        "num": 42,
        "flt": 3.5,
        "none_var": None,
        "text": "Hello World",
        "nested": {"x": {"y": {"z": "deep"}}, "list": [{"k": 1}, {"k": 2}]},
    }


def make_env(name, sources):
    kw = {}
    if name.startswith("ws_trim_"):
        kw["trim_blocks"] = True
    if name.startswith("ws_lstrip_"):
        kw["lstrip_blocks"] = True
    if name.startswith("ws_both_"):
        kw["trim_blocks"] = True
        kw["lstrip_blocks"] = True
    if name.startswith("ws_keepnl_"):
        kw["keep_trailing_newline"] = True
    if name.startswith("strict_"):
        kw["undefined"] = jinja2.StrictUndefined
    if name.startswith("chain_"):
        kw["undefined"] = jinja2.ChainableUndefined
    env = jinja2.Environment(
        loader=jinja2.DictLoader(sources),
        extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"],
        **kw,
    )
    env.globals["return"] = _return
    return env


def error_kind(e):
    if isinstance(e, (jinja2.TemplateSyntaxError, SyntaxError)):
        return "syntax"
    if isinstance(e, jinja2.UndefinedError):
        return "undefined"
    return "runtime"


def error_line(e, fname):
    if isinstance(e, jinja2.TemplateSyntaxError):
        return e.lineno or 0
    if isinstance(e, SyntaxError):
        return 0
    line = 0
    for fr in traceback.extract_tb(e.__traceback__):
        if fr.filename in (fname, "<template>"):
            line = fr.lineno
    return line


def main():
    names = sorted(f for f in os.listdir(CORPUS) if f.endswith(".j2"))
    for fname in names:
        base = fname[:-3]
        with open(os.path.join(CORPUS, fname), encoding="utf-8", newline="") as fh:
            src = fh.read()
        env = make_env(base, {fname: src})
        for ext in (".expected", ".error"):
            p = os.path.join(CORPUS, base + ext)
            if os.path.exists(p):
                os.remove(p)
        try:
            tpl = env.get_template(fname)
            try:
                out = tpl.render(standard_vars())
            except MacroReturn as r:
                out = str(r.value)
            with open(os.path.join(CORPUS, base + ".expected"), "w", encoding="utf-8", newline="") as fh:
                fh.write(out)
        except Exception as e:  # noqa: BLE001
            with open(os.path.join(CORPUS, base + ".error"), "w", encoding="utf-8", newline="") as fh:
                fh.write("%s %d\n%s: %s\n" % (error_kind(e), error_line(e, fname), type(e).__name__, e))
    print("rendered %d templates" % len(names))


if __name__ == "__main__":
    main()
