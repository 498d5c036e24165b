"""Serving the app: `make app` (Flask's own server) and `make serve` (gunicorn).

gunicorn imports this module in each worker, after the fork, and calls
`app_factory()` there: every worker loads its own model, and TensorFlow never
crosses a fork. The tree (TARGET, default solutions) and the model file
(MODEL_PATH, default digit_classifier.h5) come from the environment.
"""

import os

from course.pipeline import default_model_path, stages, target_of
from course.quiet import import_tensorflow


def app_factory():
    """Build the Flask app of the tree named by COURSE_TARGET (for gunicorn)."""
    target = target_of(os.environ.get("COURSE_TARGET") or "solutions")
    tensorflow = import_tensorflow()
    # Several workers share few cores: one TensorFlow thread each keeps them from fighting over the cores.
    tensorflow.config.threading.set_intra_op_parallelism_threads(int(os.environ.get("TF_THREADS_PER_WORKER", "1")))
    tensorflow.config.threading.set_inter_op_parallelism_threads(1)
    module = stages(target).app
    app = module.create_app({"MODEL_PATH": str(os.environ.get("MODEL_PATH") or default_model_path(target))})
    if os.environ.get("NAIVE_PREDICT"):  # `make bench-app`'s baseline: model.predict on every request
        model = app.extensions["predictor"].model
        app.extensions["predictor"] = lambda image28: model.predict(image28.reshape(1, 28, 28, 1), verbose=0)[0]
    return app
