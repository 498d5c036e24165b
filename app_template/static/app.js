// The drawing pad: pointer events (mouse, touch and pen alike), Predict/Clear,
// prediction when a stroke ends, and the answer drawn as bars plus the 28x28
// image the model saw. No libraries, nothing fetched from outside.
(function () {
  "use strict";
  const pad = document.getElementById("pad");
  const ctx = pad.getContext("2d");
  const seen = document.getElementById("seen").getContext("2d");
  const statusBox = document.getElementById("status");
  const digitBox = document.getElementById("digit");
  const confidenceBox = document.getElementById("confidence");
  const bars = document.getElementById("bars");
  const upload = document.getElementById("upload");
  const correctBox = document.getElementById("correct");
  const correctDigits = document.getElementById("correct-digits");
  const correctionsBox = document.getElementById("corrections");
  const UNSURE_BELOW = 0.6;  // below this (calibrated) confidence the page says it is not sure
  let lastAnswer = null;  // {image: data URL, guess, confidence} of the drawing on show, for a correction

  let drawing = false, last = null, inked = false, timer = null, requestId = 0;

  // Build the ten bars once.
  for (let d = 0; d < 10; d++) {
    const li = document.createElement("li");
    li.innerHTML = `<span>${d}</span><span class="track"><span class="fill"></span></span><span class="pct">–</span>`;
    bars.appendChild(li);
  }

  // "Wrong? It was a [0-9]": one button per digit, shown under a prediction.
  for (let d = 0; d < 10; d++) {
    const button = document.createElement("button");
    button.type = "button"; button.textContent = String(d); button.dataset.digit = String(d);
    button.setAttribute("aria-label", `It was a ${d}`);
    button.addEventListener("click", () => sendCorrection(d));
    correctDigits.appendChild(button);
  }

  function showCount(data) {
    if (!data || !data.storing) { correctionsBox.textContent = ""; correctBox.dataset.off = "1"; return; }
    const n = data.corrections;
    correctionsBox.textContent = n ? `${n} correction${n === 1 ? "" : "s"} stored: \`make finetune\` teaches them to the model.` : "";
  }

  async function refreshCount() {
    try { const response = await fetch("/feedback"); if (response.ok) showCount(await response.json()); } catch (error) { /* the page works without it */ }
  }

  async function sendCorrection(label) {
    if (!lastAnswer) return;
    const body = JSON.stringify({ image: lastAnswer.image, label, guess: lastAnswer.guess, confidence: lastAnswer.confidence });
    try {
      const response = await fetch("/feedback", { method: "POST", body, headers: { "Content-Type": "application/json" } });
      const data = await response.json().catch(() => ({}));
      if (!response.ok) { setStatus(data.error || "The correction could not be stored.", true); return; }
      correctBox.hidden = true; lastAnswer = null;
      setStatus(`Thank you: stored as a ${label}.`);
      showCount({ storing: true, corrections: data.corrections });
    } catch (error) { setStatus("Could not reach the server. Is it still running?", true); }
  }

  function brushWidth() { return Math.max(8, pad.width / 14); }

  function position(event) {
    const box = pad.getBoundingClientRect();
    return { x: (event.clientX - box.left) * pad.width / box.width, y: (event.clientY - box.top) * pad.height / box.height };
  }

  function stroke(from, to) {
    ctx.strokeStyle = "#000"; ctx.fillStyle = "#000";
    ctx.lineWidth = brushWidth(); ctx.lineCap = "round"; ctx.lineJoin = "round";
    ctx.beginPath(); ctx.moveTo(from.x, from.y); ctx.lineTo(to.x, to.y); ctx.stroke();
    inked = true;
  }

  pad.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    pad.setPointerCapture(event.pointerId);
    drawing = true; last = position(event); stroke(last, last);
    clearTimeout(timer);
  });
  pad.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    const points = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const point of (points.length ? points : [event])) { const next = position(point); stroke(last, next); last = next; }
  });
  function endStroke() {
    if (!drawing) return;
    drawing = false; last = null;
    clearTimeout(timer);
    timer = setTimeout(predictDrawing, 350);  // predict when the drawing pauses
  }
  pad.addEventListener("pointerup", endStroke);
  pad.addEventListener("pointercancel", endStroke);

  function setStatus(text, isError) {
    statusBox.textContent = text;
    statusBox.classList.toggle("error", Boolean(isError));
  }

  function clearAll() {
    clearTimeout(timer);
    ctx.clearRect(0, 0, pad.width, pad.height);
    seen.clearRect(0, 0, 28, 28);
    inked = false; requestId++;
    digitBox.textContent = "?"; digitBox.dataset.digit = ""; confidenceBox.textContent = "";
    correctBox.hidden = true; lastAnswer = null;
    document.body.dataset.state = "empty";
    for (const li of bars.children) { li.classList.remove("top"); li.querySelector(".fill").style.width = "0"; li.querySelector(".pct").textContent = "–"; }
    setStatus("Draw a digit to start.");
  }

  // A probability as a person reads it: never "100.0%" or "0.0%" (rounding; no drawing is certain).
  function percent(p) {
    if (p >= 0.9995) return "> 99.9%";
    if (p < 0.0005) return "< 0.1%";
    return `${(p * 100).toFixed(1)}%`;
  }

  function show(result) {
    if (lastAnswer) { lastAnswer.guess = result.digit; lastAnswer.confidence = result.confidence; }
    digitBox.textContent = String(result.digit);
    digitBox.dataset.digit = String(result.digit);
    const ranked = result.probabilities.map((p, d) => [p, d]).sort((a, b) => b[0] - a[0]);
    const unsure = result.confidence < UNSURE_BELOW;
    confidenceBox.textContent = unsure ? `not sure: ${ranked[0][1]} or ${ranked[1][1]}?` : `${percent(result.confidence)} sure`;
    confidenceBox.classList.toggle("unsure", unsure);
    result.probabilities.forEach((p, d) => {
      const li = bars.children[d];
      li.classList.toggle("top", d === result.digit);
      li.querySelector(".fill").style.width = `${(p * 100).toFixed(1)}%`;
      li.querySelector(".pct").textContent = percent(p);
    });
    const picture = seen.createImageData(28, 28);
    result.image.forEach((row, y) => row.forEach((value, x) => {
      const v = Math.round(value * 255), i = (y * 28 + x) * 4;
      picture.data[i] = picture.data[i + 1] = picture.data[i + 2] = v; picture.data[i + 3] = 255;
    }));
    seen.putImageData(picture, 0, 0);
    setStatus(unsure ? `Not sure: a ${ranked[0][1]} (${(ranked[0][0] * 100).toFixed(0)}%) or a ${ranked[1][1]} (${(ranked[1][0] * 100).toFixed(0)}%)?` : `It looks like a ${result.digit}.`);
    correctBox.hidden = Boolean(correctBox.dataset.off) || !lastAnswer;
    document.body.dataset.state = "predicted";
  }

  async function send(body, headers) {
    const id = ++requestId;
    document.body.dataset.state = "waiting";
    setStatus("Thinking…");
    try {
      const response = await fetch("/predict", { method: "POST", body, headers });
      const data = await response.json().catch(() => ({ error: `The server answered ${response.status}.` }));
      if (id !== requestId) return;  // a newer drawing or a Clear came in meanwhile
      if (!response.ok) { setStatus(data.error || "Something went wrong.", true); document.body.dataset.state = "error"; return; }
      show(data);
    } catch (error) {
      if (id === requestId) { setStatus("Could not reach the server. Is it still running?", true); document.body.dataset.state = "error"; }
    }
  }

  function predictDrawing() {
    clearTimeout(timer);
    if (!inked) { setStatus("Draw a digit first.", true); return; }
    const image = pad.toDataURL("image/png");
    lastAnswer = { image };
    send(JSON.stringify({ image }), { "Content-Type": "application/json" });
  }

  document.getElementById("predict").addEventListener("click", predictDrawing);
  document.getElementById("clear").addEventListener("click", clearAll);
  pad.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); predictDrawing(); }
    if (event.key === "Escape" || event.key === "Delete" || event.key === "Backspace") { event.preventDefault(); clearAll(); }
  });
  document.addEventListener("keydown", (event) => {
    if (event.target === pad || event.target.tagName === "INPUT" || event.target.tagName === "BUTTON") return;
    if (event.key === "Enter") predictDrawing();
    if (event.key === "Escape") clearAll();
  });
  upload.addEventListener("change", () => {
    if (!upload.files.length) return;
    const form = new FormData();
    form.append("file", upload.files[0]);
    lastAnswer = null;  // corrections are for drawings
    send(form, {});
    upload.value = "";
  });

  clearAll();
  refreshCount();
})();
