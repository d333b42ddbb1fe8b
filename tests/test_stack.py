"""The locked stack (``constraints.txt``, what the README's commands install) as the reports need
it: nothing in it makes every process slow to start."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

PARSER_BUILDERS = ("lark", "rfc3987_syntax")
"""Modules that build grammars when imported. jsonschema 4.25 and later import ``rfc3987_syntax``
whenever it is installed (jupyter-events asks for ``jsonschema[format-nongpl]``, which from 4.25
brings it), and that module builds 38 Earley parsers with lark as it loads: about 1 s of CPU in
every process that imports nbformat or Altair (each render and its kernels, each papermill and
nbconvert run, each test worker), for a format (``iri``) no notebook schema uses
(python-jsonschema/jsonschema#1428). ``constraints.txt`` keeps jsonschema at 4.24.1, whose
``format-nongpl`` extra does not bring it."""


def test_no_process_builds_a_parser_when_it_imports_the_notebook_stack():
    code = ("import sys, nbformat, nbclient, papermill, nbconvert, altair, jsonschema\n"
            "nbformat.validate(nbformat.v4.new_notebook())\n"
            f"print(sorted(m for m in {PARSER_BUILDERS!r} if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]", (
        f"{proc.stdout.strip()} imported: jsonschema's iri format checker came back (keep jsonschema==4.24.1 in "
        "constraints.txt, or drop rfc3987-syntax, until it loads its grammar lazily)")

