"""Checks every .onnx file in a directory with the ONNX project's own checker (full_check: with
strict shape inference). Prints one JSON object: {"checked": n, "failures": [{"file", "error"}]}.
Usage: python onnx_check.py DIR   (the 'onnx' fixture venv: fixtures/generate/requirements/onnx.txt)"""
import glob
import json
import os
import sys

import onnx

directory = sys.argv[1]
failures = []
files = sorted(glob.glob(os.path.join(directory, "*.onnx")))
for path in files:
    try:
        onnx.checker.check_model(onnx.load(path), full_check=True)
    except Exception as e:  # noqa: BLE001 - every checker error is reported, none is fatal
        failures.append({"file": os.path.basename(path), "error": str(e).strip()[:500]})
print(json.dumps({"checked": len(files), "onnx": onnx.__version__, "failures": failures}))
