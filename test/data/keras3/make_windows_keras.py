"""Writes windows-paths.keras: the model of make_keras3_data.py (model.json + its sharded
weights, loaded by real Keras 3) saved as .keras, with the weight groups renamed the way Keras 3
on Windows writes them (keras-team/keras#18528: the object path joined with os.path.join, so
the root holds groups named `layers\\c1` with `vars/0` inside, instead of `layers/c1/vars/0`).
Everything else (config.json, metadata.json, the variables' values) is what Keras wrote.
Read by test/unit/keras-windows-paths.test.ts; expected.npy (same model) is the oracle.

    $(bash ../../../fixtures/generate/venv.sh keras3)/bin/python make_windows_keras.py
"""
import io
import os
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
import h5py  # noqa: E402
import keras  # noqa: E402

with open("model.json") as f:
    model = keras.models.model_from_json(f.read())
model.load_weights("sharded.weights.json")
model.save("/tmp/kconv-windows-src.keras")

src = zipfile.ZipFile("/tmp/kconv-windows-src.keras")
old = h5py.File(io.BytesIO(src.read("model.weights.h5")), "r")
buf = io.BytesIO()
with h5py.File(buf, "w") as new:
    def copy(name, obj):
        if isinstance(obj, h5py.Dataset):
            group, _, var = name.rpartition("/vars/")
            # the object path with backslashes, then /vars/<i> as Keras writes it on Windows
            new.create_dataset(group.replace("/", "\\") + "/vars/" + var, data=obj[()])
    old.visititems(copy)
with zipfile.ZipFile("windows-paths.keras", "w") as out:
    for item in src.infolist():
        data = buf.getvalue() if item.filename == "model.weights.h5" else src.read(item.filename)
        out.writestr(item.filename, data)
os.remove("/tmp/kconv-windows-src.keras")
with h5py.File(io.BytesIO(zipfile.ZipFile("windows-paths.keras").read("model.weights.h5")), "r") as f:
    print(sorted(f.keys()))
