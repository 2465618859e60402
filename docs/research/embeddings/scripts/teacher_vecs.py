import os, sys; sys.path.insert(0, os.path.dirname(__file__))
from evalset import EVENTS
import numpy as np, torch; torch.set_num_threads(1)
from sentence_transformers import SentenceTransformer
path, out, prefix = sys.argv[1], sys.argv[2], (sys.argv[3] if len(sys.argv) > 3 else "")
m = SentenceTransformer(path, device="cpu")
np.save(out, m.encode([prefix + e[i] for i in range(3) for e in EVENTS]))
