"""End to end in a real browser: headless Chromium draws digits on the page with the mouse.

Two kinds of digits: MNIST test digits traced as strokes, and real pen
trajectories by writers 21-30 of UCI's pen digits (whom no model here trains
on), replayed point by point as a user's mouse would move.

The app runs as `make serve` runs it (gunicorn, workers loading the model after
the fork) on 127.0.0.1. Playwright drives Debian's Chromium (never a browser it
downloads): for each digit it presses the mouse and traces the digit's strokes
with pointer events on the canvas, at a random size and position, presses
Predict and reads the answer from the page. A screenshot is saved to
outputs/browser_e2e.png.
"""

import os
import shutil

import numpy as np
import pytest

from course import drawings
from course.bench.servers import AppServer
from course.lessons import ROOT
from course.mnist_file import load_mnist
from course.pendigits import VALIDATION_WRITERS, load_pendigits

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
DIGITS = 40  # drawn with the mouse, one stroke at a time: the full measure is make bench-handwriting's
PEN_DIGITS = 40


@pytest.fixture(scope="module")
def server(reference_model, tmp_path_factory):
    corrections = tmp_path_factory.mktemp("feedback") / "corrections.sqlite3"
    with AppServer(
        workers=2, env={"MODEL_PATH": str(reference_model), "FEEDBACK_DB": str(corrections)}, startup_seconds=90
    ) as running:
        yield running.url


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM), "Chromium is missing: apt-get install chromium chromium-driver (.ci/run does this)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(viewport={"width": 1000, "height": 800})
        tab = context.new_page()
        tab.goto(server)
        yield tab
        browser.close()


def trace(page, rng, scales, paths_on_canvas, every):
    """Press, move through every ``every``-th point of each path (and its last), release: at a random size and place."""
    box = page.locator("#pad").bounding_box()
    size = box["width"]
    scale = rng.uniform(*scales)
    half = scale * size / 2
    centre = (rng.uniform(half, size - half), rng.uniform(half, size - half))
    for path in paths_on_canvas(size, scale, centre):
        points = path[::every] + path[-1:]  # the canvas joins the points with straight segments
        page.mouse.move(float(box["x"] + points[0][0]), float(box["y"] + points[0][1]))
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(float(box["x"] + x), float(box["y"] + y))
        page.mouse.up()


def draw(page, digit, rng):
    """Trace an MNIST digit's strokes on the canvas with the mouse."""
    trace(
        page,
        rng,
        (0.5, 0.85),
        lambda size, scale, centre: drawings.place(drawings.strokes(digit), size, scale, centre),
        every=3,
    )


def replay(page, digit, rng):
    """Replay a pen trajectory with the mouse, every other pen sample."""
    trace(
        page,
        rng,
        (0.45, 0.85),
        lambda size, scale, centre: drawings.place_strokes(digit.strokes, size, scale, centre),
        every=2,
    )


def predict(page):
    with page.expect_response(lambda response: response.url.endswith("/predict")) as answer:
        page.click("#predict")
    assert answer.value.status == 200, answer.value.text()
    page.wait_for_function("document.body.dataset.state === 'predicted'")
    return int(page.locator("#digit").get_attribute("data-digit"))


def test_page_works_without_drawing(page):
    page.click("#predict")
    assert "Draw a digit first" in page.locator("#status").inner_text()
    page.keyboard.press("Tab")  # the controls are reachable by keyboard
    assert page.evaluate("document.activeElement !== document.body")


def test_drawn_digits_are_read(page):
    _, (x_test, y_test) = load_mnist()
    rng = np.random.default_rng(7)
    picks = rng.choice(len(x_test), DIGITS, replace=False)
    right = 0
    for count, index in enumerate(picks):
        page.click("#clear")
        draw(page, x_test[index], rng)
        right += int(predict(page) == y_test[index])
        if count == 0:
            seen = page.evaluate(
                "Array.from(document.getElementById('seen').getContext('2d').getImageData(0, 0, 28, 28).data)"
                ".filter((v, i) => i % 4 === 0 && v > 128).length"
            )
            assert 20 < seen < 400, f"the 28x28 preview shows {seen} ink pixels"
    shown = page.locator("main").inner_text() if page.locator("main").count() else page.locator("body").inner_text()
    assert "100.0%" not in shown and " 0.0%" not in shown, "rounding never makes the page certain"
    (ROOT / "outputs").mkdir(exist_ok=True)
    page.wait_for_timeout(400)  # let the bars finish their 0.2 s transition
    page.screenshot(path=str(ROOT / "outputs" / "browser_e2e.png"), full_page=True)
    print(f"\n  browser: {right} of {DIGITS} drawn digits read correctly ({right / DIGITS:.0%})")
    assert right >= 0.95 * DIGITS, f"only {right} of {DIGITS} digits drawn in the browser were read correctly"


def test_real_pen_trajectories_are_read(page):
    """Writers the model never saw, their trajectories replayed with the mouse: at least 97% read right."""
    unseen = [digit for digit in load_pendigits() if digit.writer in VALIDATION_WRITERS]
    rng = np.random.default_rng(21)
    picks = rng.choice(len(unseen), PEN_DIGITS, replace=False)
    right, misread = 0, []
    for index in picks:
        digit = unseen[index]
        page.click("#clear")
        replay(page, digit, rng)
        read = predict(page)
        right += int(read == digit.label)
        if read != digit.label:
            misread.append(f"{digit.label}->{read} (writer {digit.writer})")
    print(
        f"\n  browser, pen trajectories of unseen writers: {right} of {PEN_DIGITS} read correctly "
        f"({right / PEN_DIGITS:.1%}); misread: {misread}"
    )
    assert right >= 0.97 * PEN_DIGITS, (
        f"only {right} of {PEN_DIGITS} replayed pen digits were read correctly: {misread}"
    )


def test_unsure_answers_and_corrections_on_the_page(page):
    """A correction from the page is stored and counted; the correction buttons appear under a prediction."""
    page.click("#clear")
    unseen = [digit for digit in load_pendigits() if digit.writer in VALIDATION_WRITERS]
    replay(page, unseen[0], np.random.default_rng(3))
    predict(page)
    assert page.locator("#correct").is_visible()
    wrong = (unseen[0].label + 1) % 10
    with page.expect_response(
        lambda response: response.url.endswith("/feedback") and response.request.method == "POST"
    ) as answer:
        page.click(f"#correct-digits button[data-digit='{wrong}']")
    assert answer.value.status == 201, answer.value.text()
    page.wait_for_function("document.getElementById('corrections').textContent.includes('correction')")
    assert "stored as a" in page.locator("#status").inner_text()
    assert not page.locator("#correct").is_visible()
    confidence = page.locator("#confidence").inner_text()
    assert "% sure" in confidence or "not sure" in confidence
