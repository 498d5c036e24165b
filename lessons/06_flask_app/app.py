"""
Lesson 6: The Flask app
Serve the trained CNN on the web: a page where you draw a digit, and a
`/predict` endpoint that turns the drawing into an MNIST-style 28 x 28 image
and asks the model what it is.

Run it with `make app TARGET=lessons`; grade it with `make check-lesson6`.
The page itself (HTML, JavaScript, CSS) is ready-made in app_template/.
"""

import base64
import binascii
import io
import os
import warnings

import numpy as np
from flask import Flask, jsonify, render_template, request
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError
from werkzeug.exceptions import HTTPException

from course.helpers import (
    APP_TEMPLATE,
    apply_temperature,
    default_model_path,
    load_trained_model,
    register_feedback,
    served_predictor,
)

MNIST_SIZE = 28  # the model's input: 28 x 28 pixels
DIGIT_BOX = 20  # MNIST digits fit in a 20 x 20 box inside that square
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_IMAGE_PIXELS = 4096 * 4096  # Pillow refuses anything bigger (a "decompression bomb")
INK_THRESHOLD = 0.2  # on a 0..1 scale, what counts as ink rather than background

"""
## Reading what the browser sends

The page posts JSON `{"image": "data:image/png;base64,..."}` from the canvas,
or a file upload in the form field `file`. Both become a Pillow image. Bad
input is the client's mistake, so it gets a 4xx answer with a sentence in
JSON -- never a crash, never an HTML error page. (Given code.)
"""


class BadImage(ValueError):
    """The request's image cannot be used; carries the HTTP status to answer with."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


def image_from_request(req):
    """Given: the uploaded file or the JSON data URL of `req`, as a loaded Pillow image."""
    if "file" in req.files:
        data = req.files["file"].read()
    elif req.is_json or (req.mimetype or "").endswith("json"):
        try:
            payload = req.get_json(silent=True)
        except RecursionError:  # JSON nested thousands deep: Python's parser gives up
            raise BadImage("the JSON is nested too deeply") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("image"), str):
            raise BadImage('send JSON like {"image": "data:image/png;base64,..."}')
        header, _, encoded = payload["image"].partition(",")
        if not header.startswith("data:image/") or ";base64" not in header or not encoded:
            raise BadImage("the image must be a data URL: data:image/png;base64,...")
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise BadImage("the image's base64 data is malformed") from None
    else:
        raise BadImage("send the image as JSON or as a multipart upload in the field 'file'", status=415)
    if not data:
        raise BadImage("the image is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise BadImage(f"the image is too large ({image.width} x {image.height} pixels)", status=413)
            image.load()
    except BadImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadImage("the image is too large to open safely", status=413) from None
    except UnidentifiedImageError:
        raise BadImage("that is not an image Pillow can read (PNG, JPEG, GIF, BMP, WebP...)", status=415) from None
    except (OSError, SyntaxError, ValueError):
        raise BadImage("the image is damaged or truncated") from None
    return image


"""
## MNIST-style preprocessing

The model only ever saw MNIST: white ink on black, the digit scaled to fit a
20 x 20 box and centred in a 28 x 28 square by its centre of mass. A canvas
drawing is none of that: black on a transparent background, any size,
anywhere. Squashing the whole canvas to 28 x 28 gives a tiny, off-centre,
thin digit -- the classic reason these apps fail on real drawings. So we
redo MNIST's own preparation, step by step.
"""


def to_grayscale(image):
    """Given: a float array (H, W) in [0, 1], transparent parts filled with the background.

    A canvas exports undrawn pixels as transparent; filling them with white
    would hide white ink, so the fill is whichever of black and white
    contrasts with the ink.
    """
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        alpha = np.asarray(rgba.getchannel("A"), dtype=np.float32) / 255.0
        gray = np.asarray(rgba.convert("L"), dtype=np.float32) / 255.0
        opaque = alpha > 0.5
        ink_is_dark = not opaque.any() or gray[opaque].mean() < 0.5
        background = 1.0 if ink_is_dark else 0.0
        return gray * alpha + background * (1.0 - alpha)
    return np.asarray(image.convert("L"), dtype=np.float32) / 255.0


"""
Each step below is one small function, so you can try it on a tiny array in
a Python shell, and each has its own check. `to_mnist` (given, at the end)
runs them in order.
"""


def border_level(pixels):
    """The typical value of the picture's border: the colour of the paper or canvas."""
    # TODO 1: Return the median of the border pixels (the first and last row, the first and
    #   last column) as a float. The median, not the mean: ink that touches the edge must not move it.
    raise NotImplementedError("TODO 1: border_level() is not done yet")


def white_on_black(pixels):
    """Return the picture with light ink on a dark background, as in MNIST."""
    # TODO 2: If the border is bright (border_level above 0.5), the paper is light and the ink
    #   dark: return 1 - pixels. Otherwise return the pixels as they are.
    raise NotImplementedError("TODO 2: white_on_black() is not done yet")


def stretch(pixels):
    """Map the background (the border's level) to 0 and the brightest ink to 1; None if nothing was drawn."""
    # TODO 3: The background is border_level(pixels). If the brightest pixel is less than
    #   INK_THRESHOLD above it, nothing was drawn: return None. Otherwise return
    #   (pixels - background) / (brightest - background), clipped to [0, 1].
    raise NotImplementedError("TODO 3: stretch() is not done yet")


def crop_to_ink(pixels):
    """Cut the picture down to the smallest rectangle that holds every ink pixel (above INK_THRESHOLD)."""
    # TODO 4: Find the rows and the columns that hold at least one pixel above INK_THRESHOLD,
    #   and return the part of `pixels` from the first to the last of them, both included.
    raise NotImplementedError("TODO 4: crop_to_ink() is not done yet")


def centre_in_square(digit, size=MNIST_SIZE):
    """Paste `digit` into a size x size float32 square of zeros, its centre of mass on the centre."""
    # TODO 5: Place `digit` so that its centre of mass lands on (size / 2, size / 2), but never
    #   past an edge: a lopsided digit is pushed only as far as it fits. Return the square as float32.
    raise NotImplementedError("TODO 5: centre_in_square() is not done yet")


def to_mnist(image):
    """Given: a Pillow image as a float32 (28, 28) array in [0, 1], MNIST style; None when nothing was drawn."""
    pixels = stretch(white_on_black(to_grayscale(image)))
    if pixels is None:
        return None
    return centre_in_square(fit_box(crop_to_ink(pixels), DIGIT_BOX))


def fit_box(pixels, box):
    """Given: scale a cropped digit to fit a box x box square, keeping its aspect ratio.

    Strokes much thinner or fatter than MNIST's (about a tenth of the digit's
    height) are thickened or thinned first, so that a fine pen on a large
    canvas, or a marker on a small one, still looks like MNIST once small.
    """
    height, width = pixels.shape
    image = Image.fromarray(np.uint8(np.round(pixels * 255)), mode="L")
    longest = max(height, width)
    if longest > 4 * box:  # shrink big drawings first: cheaper, and thickness is judged at the same scale
        scale = 4 * box / longest
        image = image.resize((max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.BOX)
    ink = np.asarray(image, dtype=np.float32) / 255.0 > 0.5
    area = ink.sum()
    inner = ink[1:-1, 1:-1] & ink[:-2, 1:-1] & ink[2:, 1:-1] & ink[1:-1, :-2] & ink[1:-1, 2:]
    edge = max(1, area - inner.sum())
    thickness = 2.0 * area / edge  # a stroke of width w and length L: area w*L, edge about 2*L
    wanted = 0.1 * max(image.size)
    if area and thickness < wanted:
        grow = round(wanted - thickness) | 1  # MaxFilter needs an odd size
        image = image.filter(ImageFilter.MaxFilter(min(grow, 9)))
    elif area and thickness > 2 * wanted:  # a very fat pen: thin it towards MNIST's strokes
        shrink = round((thickness - wanted) / 2) | 1
        image = image.filter(ImageFilter.MinFilter(min(shrink, 9)))
    scale = box / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    small = np.asarray(image.resize(size, Image.Resampling.LANCZOS), dtype=np.float32) / 255.0
    small = np.clip(small, 0.0, 1.0)
    return small / small.max() if small.max() > 0 else small


"""
## Fast predictions, one image at a time

`model.predict` is built for big batches: every call sets up a data
pipeline and a progress callback, which costs milliseconds for one image.
We compile the model's forward pass once with `tf.function` and a fixed
input signature, and call that: no set-up per request, and no retracing
however many requests come.
"""


class Predictor:
    """The model's forward pass, traced once, for single 28 x 28 images."""

    def __init__(self, model):
        import tensorflow as tf

        self.model = model
        # TODO 6: Wrap the model's forward pass in a tf.function with a fixed
        #   input_signature of one float32 tensor of shape (None, 28, 28, 1), and keep it in
        #   self.forward. Call the model with training=False (dropout off).
        raise NotImplementedError("TODO 6: __init__() is not done yet")

    def __call__(self, image28):
        """Given: the 10 probabilities for one (28, 28) image, calibrated.

        `make train` measures how over-sure the model is and saves a
        "temperature" beside it; dividing by it keeps the answer but makes
        "99% sure" mean right 99 times in 100 (lesson 7 explains).
        """
        batch = np.asarray(image28, dtype=np.float32).reshape(1, MNIST_SIZE, MNIST_SIZE, 1)
        probabilities = np.asarray(self.forward(batch))[0]
        return apply_temperature(probabilities, getattr(self.model, "course_temperature", 1.0))


"""
## The app factory

`create_app` builds the app from a config (so tests can pass their own),
loads the model once -- at start-up, not per request -- and registers the
routes. Under gunicorn each worker process calls it after the fork, so each
has its own model.
"""


def create_app(config=None):
    """Build the Flask app. `config` may set MODEL_PATH and any Flask setting."""
    app = Flask(
        __name__,
        template_folder=str(APP_TEMPLATE / "templates"),
        static_folder=str(APP_TEMPLATE / "static"),
    )
    app.config.from_mapping(
        MODEL_PATH=str(default_model_path(__file__)),
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,  # bigger bodies get 413 before we read them
    )
    app.config.update(config or {})
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    # TODO 7: Load the model once with load_trained_model(app.config["MODEL_PATH"]) (it
    #   explains a missing or broken file), and keep Predictor(model) in
    #   app.extensions["predictor"], where the routes find it.
    raise NotImplementedError("TODO 7: create_app() is not done yet")
    faster = served_predictor(app.config["MODEL_PATH"])  # given: lesson 8's faster version, once it made one
    if faster is not None:
        app.extensions["predictor"] = faster
    register_feedback(app, to_mnist)  # given: "Wrong? It was a ..." stores corrections (FEEDBACK=False: off)

    @app.get("/")
    def index():
        return render_template("index.html")

    @app.get("/healthz")
    def healthz():
        loaded = app.extensions.get("predictor") is not None
        return jsonify(status="ok" if loaded else "no model", model_loaded=loaded), 200 if loaded else 503

    @app.post("/predict")
    def predict():
        try:
            image = image_from_request(request)
        except BadImage as error:
            return jsonify(error=str(error)), error.status
        image28 = to_mnist(image)
        if image28 is None:
            return jsonify(error="The canvas is empty: draw a digit first."), 422
        # TODO 8: Ask the predictor for the 10 probabilities of image28 and answer with
        #   jsonify(digit=..., confidence=..., probabilities=[...], image=...): the digit with the
        #   highest probability (an int), that probability (a float), all ten (floats), and
        #   image28 as a 28 x 28 list of lists rounded to 3 decimals (so the page can draw it).
        raise NotImplementedError("TODO 8: predict() is not done yet")

    @app.errorhandler(HTTPException)
    def json_error(error):
        """Given: every HTTP error (404, 405, 413...) as JSON, never an HTML page."""
        return jsonify(error=f"{error.name}: {error.description}"), error.code

    if not app.testing:  # tests want the real error; a served app answers JSON and keeps serving

        @app.errorhandler(Exception)
        def unexpected(error):
            """Given: a bug is logged, and the client gets a JSON 500 instead of an HTML page."""
            app.logger.exception("unexpected error while answering %s", request.path)
            return jsonify(error="Something went wrong on the server; the error was logged."), 500

    return app


def main():
    port = int(os.environ.get("PORT", "5000"))
    app = create_app()
    print(f"The app is running: open http://127.0.0.1:{port} in a browser (Ctrl+C stops it).")
    app.run(host="127.0.0.1", port=port, debug=False)


if __name__ == "__main__":
    main()
