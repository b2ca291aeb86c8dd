"""Load files that kconv wrote with this environment's real Keras, predict, dump the weights.

Usage: python keras_load.py jobs.json

jobs.json: [{"id", "model", "kind": "model" | "weights", "architecture"?: config json file
(for weights-only files), "inputs": [npy paths], "out": dir}, ...]. Many jobs per process
because importing TensorFlow is slow.

For each job, writes into `out`:
  result.json  {"ok": true, "keras": version, "outputs": [files], "unpredictable": null | why,
               "weights": [{"layer", "name", "file"}]}
               or {"ok": false, "error": "..."} when loading or predicting failed;
  output_<i>.npy, w_<i>.npy.
"""
import json
import os
import sys
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402

if os.environ.get("KCONV_USE_TF_KERAS") == "1":
    import tf_keras as keras  # type: ignore  # the Keras 2 package for TF >= 2.16
elif os.environ.get("KCONV_KERAS_MODULE") == "tf.keras":
    import tensorflow as _tf  # type: ignore  # TF 1.13 / 2.0 ship Keras only as tf.keras
    keras = _tf.keras
else:
    import keras  # type: ignore  # Keras 3, standalone Keras 2.3, or the keras package that is tf.keras in TF 2.6-2.15


try:
    # keras-tcn, in the tcn-* environments: `import tcn` registers its TCN ('Custom>TCN'); tf.keras
    # users pass it as a custom object, so the loads here do too
    from tcn import TCN  # type: ignore
    CUSTOM_OBJECTS = {"TCN": TCN}
except ImportError:
    CUSTOM_OBJECTS = {}


def walk(layer, prefix=()):
    """Yield (scope, layer) for every non-model layer, recursing into nested models."""
    sub = getattr(layer, "layers", None)
    if sub is not None and layer.__class__.__name__ in ("Sequential", "Functional", "Model"):
        for child in sub:
            yield from walk(child, prefix + (layer.name,))
    else:
        yield prefix, layer


def short_name(w):
    name = getattr(w, "path", None) or w.name
    name = name.split("/")[-1]
    return name.split(":")[0]


def run(job):
    out = job["out"]
    os.makedirs(out, exist_ok=True)
    custom = {"custom_objects": CUSTOM_OBJECTS} if CUSTOM_OBJECTS else {}
    if job["kind"] == "weights":
        with open(job["architecture"]) as f:
            arch = f.read()
        model = keras.models.model_from_json(arch, **custom)
        model.load_weights(job["model"])
    else:
        model = keras.models.load_model(job["model"], compile=False, **custom)
    inputs = [np.load(p) for p in job["inputs"]]
    # A direct call, not predict(): predict traces a new tf.function per model, which dominates
    # the time of a tier that loads thousands of tiny models. Keras on TF 1.x runs graphs: predict.
    x = inputs if len(inputs) > 1 else inputs[0]
    outputs = []
    unpredictable = None
    try:
        try:
            pred = model(x, training=False)
            if not hasattr(pred[0] if isinstance(pred, (list, tuple)) else pred, "numpy"):
                raise TypeError("symbolic output")
        except (TypeError, ValueError, AttributeError):
            pred = model.predict(x, batch_size=len(inputs[0]))
    except Exception as e:  # noqa: BLE001
        # TensorFlow <= 2.0 has no channels_first convolution on the CPU: the file loaded and its
        # weights are still compared; the test decides whether this env may say so.
        if "only supports the NHWC tensor format on the CPU" not in str(e):
            raise
        unpredictable = f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"
        pred = []
    if not isinstance(pred, (list, tuple)):
        pred = [pred]
    for i, y in enumerate(pred):
        fn = f"output_{i}.npy"
        np.save(os.path.join(out, fn), np.asarray(y.numpy() if hasattr(y, "numpy") else y))
        outputs.append(fn)
    weights = []
    n = 0
    for scope, layer in walk(model):
        if layer.__class__.__name__ in ("Sequential", "Functional", "Model"):
            continue
        for w, value in zip(layer.weights, layer.get_weights()):
            fn = f"w_{n}.npy"
            n += 1
            np.save(os.path.join(out, fn), np.asarray(value))
            weights.append({"layer": layer.name, "scope": list(scope[1:]), "name": short_name(w), "file": fn})
    return {"ok": True, "keras": keras.__version__, "outputs": outputs, "unpredictable": unpredictable, "weights": weights}


def main():
    with open(sys.argv[1]) as f:
        jobs = json.load(f)
    for job in jobs:
        try:
            result = run(job)
        except Exception as e:  # noqa: BLE001 — every failure is reported to the test
            result = {"ok": False, "error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()[-2000:]}
        os.makedirs(job["out"], exist_ok=True)
        with open(os.path.join(job["out"], "result.json"), "w") as f:
            json.dump(result, f)
        print(job["id"], "ok" if result["ok"] else result["error"][:200], flush=True)
        # Every model loaded stays in Keras's global state (on TF 1.x, in the one default graph)
        # unless cleared: in Keras 2.3.1 on TF 1.15 the 200th load took 27 s instead of 0.05 s.
        keras.backend.clear_session()


if __name__ == "__main__":
    main()
