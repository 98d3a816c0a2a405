// The book's static explorer: steps through pre-computed instances (attnlib.teach.explorer.static_records)
// without a kernel. It draws the same markup as attnlib.teach.explorer.instance_html.
function attnlibExplorer(root) {
  "use strict";
  const data = JSON.parse(root.querySelector("script.attnlib-x-data").textContent);
  const names = Object.keys(data.experiments);
  const state = { experiment: names[0], position: 0, epsilon: data.epsilons[0] };
  const escape = (text) => String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;" })[c]);
  const element = (tag, attributes, text) => {
    const node = document.createElement(tag);
    Object.entries(attributes || {}).forEach(([key, value]) => node.setAttribute(key, value));
    if (text !== undefined) node.textContent = text;
    return node;
  };

  const controls = element("div", { class: "attnlib-x-controls" });
  const experiment = element("select", { "aria-label": "experiment", class: "attnlib-x-experiment" });
  names.forEach((name) => experiment.appendChild(element("option", { value: name }, name)));
  const previous = element("button", { type: "button", class: "attnlib-x-previous" }, "◀ previous");
  const instance = element("select", { "aria-label": "instance", class: "attnlib-x-instance" });
  const next = element("button", { type: "button", class: "attnlib-x-next" }, "next ▶");
  const epsilon = element("select", { "aria-label": "epsilon", class: "attnlib-x-epsilon" });
  data.epsilons.forEach((e) => epsilon.appendChild(element("option", { value: e }, "ε = " + e)));
  [experiment, previous, instance, next, epsilon].forEach((c) => controls.appendChild(c));
  const view = element("div", { class: "attnlib-x-view" });
  root.appendChild(controls);
  root.appendChild(view);

  const tokens = (record, levels) => record.tokens.map((token, i) =>
    levels[i] === "-" ? escape(token) : '<span class="l' + levels[i] + '">' + escape(token) + "</span>").join(" ");

  function draw() {
    const records = data.experiments[state.experiment];
    const record = records[state.position];
    const adversary = record.adversaries[state.epsilon];
    const rows = [
      ["attention", "output: " + record.output, record.rows.attention],
      ["gradient", "τ with attention " + record.tau.gradient.toFixed(2), record.rows.gradient],
      ["leave-one-out", "τ with attention " + record.tau.loo.toFixed(2), record.rows.loo],
      ["adversarial attention, ε = " + state.epsilon, "JSD " + adversary.jsd.toFixed(3) + " · output: " +
        adversary.output + " (TVD " + adversary.tvd.toFixed(3) + ")", adversary.levels],
    ];
    const why = record.why ? " · picked for: " + escape(record.why) : "";
    const question = record.question ?
      '<div class="attnlib-x-question">question / hypothesis: ' + escape(record.question) + "</div>" : "";
    view.innerHTML = '<div class="attnlib-x-meta">' + escape(record.experiment) + " · test instance " + record.index +
      " · gold: " + escape(record.gold) + " · predicted: " + escape(record.prediction) + why + "</div>" + question +
      '<table class="attnlib-x-rows">' + rows.map(([name, note, levels]) => "<tr><th>" + escape(name) +
        '<div class="attnlib-x-note">' + escape(note) + '</div></th><td class="attnlib-x-tokens">' +
        tokens(record, levels) + "</td></tr>").join("") + "</table>";
    instance.value = String(state.position);
    previous.disabled = state.position === 0;
    next.disabled = state.position === records.length - 1;
  }

  function fillInstances() {
    instance.innerHTML = "";
    data.experiments[state.experiment].forEach((record, i, all) => instance.appendChild(element("option",
      { value: String(i) }, (i + 1) + "/" + all.length + " · #" + record.index + " · " + record.why)));
  }

  experiment.addEventListener("change", () => { state.experiment = experiment.value; state.position = 0; fillInstances(); draw(); });
  instance.addEventListener("change", () => { state.position = Number(instance.value); draw(); });
  epsilon.addEventListener("change", () => { state.epsilon = epsilon.value; draw(); });
  previous.addEventListener("click", () => { state.position = Math.max(0, state.position - 1); draw(); });
  next.addEventListener("click", () => {
    state.position = Math.min(data.experiments[state.experiment].length - 1, state.position + 1); draw();
  });
  fillInstances();
  draw();
}
