// A figures table ([data-chart-table], components/chart_table.html) made sortable and
// filterable, with a horizontal bar chart (Chart.js, /static/vendor/chartjs/) of its charted
// column ([data-chart] on the <th>). The table stays the source: the chart is redrawn from
// the rows the table shows, in their order. Pinned rows ([data-pinned], a total) stay on top,
// out of the chart; their value is the reference the bars below it are coloured against.
(function () {
  "use strict";
  var LANG = document.documentElement.lang || "vi";
  var GOOD = "#1e6b34";
  var BELOW = "#b45309";
  var ROW_PX = 22;

  function fold(text) { // "Xã Đắk Phơi" -> "xa dak phoi": a filter typed without diacritics
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[đĐ]/g, "d").toLowerCase().trim();
  }

  function valueOf(cell) {
    if (!cell) { return null; }
    var raw = cell.getAttribute("data-value");
    return raw === null || raw === "" ? null : Number(raw);
  }

  function formatter(kind) {
    var options = kind === "percent" ? { style: "percent", maximumFractionDigits: 1 } : {};
    var format = new Intl.NumberFormat(LANG, options);
    return function (v) { return format.format(v); };
  }

  function setUp(root) {
    if (root.hasAttribute("data-ready")) { return; }
    root.setAttribute("data-ready", "");
    var table = root.querySelector("table");
    var body = table.tBodies[0];
    var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
    var rows = Array.prototype.slice.call(body.rows);
    var pinned = rows.filter(function (r) { return r.hasAttribute("data-pinned"); });
    var ranked = rows.filter(function (r) { return !r.hasAttribute("data-pinned"); });
    var original = ranked.slice();
    var column = heads.findIndex(function (th) { return th.hasAttribute("data-chart"); });
    var kind = column >= 0 ? heads[column].getAttribute("data-chart") : "number";
    var show = formatter(kind);
    var reference = pinned.length && column >= 0 ? valueOf(pinned[0].cells[column]) : null;
    var filter = root.querySelector("[data-chart-filter]");
    var sorter = root.querySelector("[data-chart-sort]");
    var below = root.querySelector("[data-chart-below]");
    var shown = root.querySelector("[data-chart-shown]");
    var box = root.querySelector("[data-chart-box]");
    var chart = null;
    var state = { column: -1, descending: false };

    function key(row, index) {
      var cell = row.cells[index];
      var v = valueOf(cell);
      return v !== null ? v : (cell ? cell.textContent.trim() : "");
    }

    function compare(index, descending) {
      var collator = new Intl.Collator(LANG, { numeric: true, sensitivity: "base" });
      return function (a, b) {
        var x = key(a, index), y = key(b, index);
        var order = typeof x === "number" && typeof y === "number" ? x - y : collator.compare(String(x), String(y));
        return descending ? -order : order;
      };
    }

    function visible(row) {
      var words = fold(filter.value);
      var name = fold(row.cells[0].textContent);
      if (words && name.indexOf(words) < 0) { return false; }
      if (below && below.checked && reference !== null) {
        var v = valueOf(row.cells[column]);
        if (v === null || v >= reference) { return false; }
      }
      return true;
    }

    function apply() {
      var order = state.column < 0 ? original.slice() : ranked.slice().sort(compare(state.column, state.descending));
      order.forEach(function (row) {
        row.hidden = !visible(row);
        body.appendChild(row);
      });
      heads.forEach(function (th, i) {
        if (i === state.column) { th.setAttribute("aria-sort", state.descending ? "descending" : "ascending"); }
        else { th.removeAttribute("aria-sort"); }
      });
      sorter.value = state.column < 0 ? "" : state.column + ":" + (state.descending ? "d" : "a");
      var rowsShown = order.filter(function (r) { return !r.hidden; });
      shown.textContent = root.getAttribute("data-count")
        .replace("{shown}", rowsShown.length.toLocaleString(LANG))
        .replace("{total}", order.length.toLocaleString(LANG));
      draw(rowsShown);
    }

    function draw(rowsShown) {
      if (column < 0 || typeof window.Chart === "undefined") { return; }
      var labels = rowsShown.map(function (r) { return r.cells[0].textContent.trim(); });
      var values = rowsShown.map(function (r) { return valueOf(r.cells[column]); });
      var colours = values.map(function (v) { return reference !== null && v !== null && v < reference ? BELOW : GOOD; });
      box.style.height = Math.max(4, rowsShown.length) * ROW_PX + 48 + "px";
      if (chart) {
        chart.data.labels = labels;
        chart.data.datasets[0].data = values;
        chart.data.datasets[0].backgroundColor = colours;
        chart.resize();
        chart.update();
        return;
      }
      chart = new window.Chart(box.querySelector("canvas"), {
        type: "bar",
        data: { labels: labels, datasets: [{ label: heads[column].textContent.trim(), data: values, backgroundColor: colours, barPercentage: 0.8, categoryPercentage: 0.9 }] },
        options: {
          indexAxis: "y",
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          plugins: {
            legend: { display: false },
            tooltip: { callbacks: { label: function (c) { return " " + show(c.parsed.x); } } }
          },
          scales: {
            x: { position: "top", min: 0, max: kind === "percent" ? 1 : undefined, ticks: { callback: function (v) { return show(v); } } },
            y: { ticks: { autoSkip: false, font: { size: 12 } } }
          }
        }
      });
    }

    function sortBy(index) {
      state.descending = state.column === index ? !state.descending : false;
      state.column = index;
      apply();
    }

    // the headers become buttons (a keyboard and a screen reader can sort), and the same
    // choice is a list for phones, where the stacked table hides its header row
    var none = document.createElement("option");
    none.value = "";
    none.textContent = root.getAttribute("data-original");
    sorter.appendChild(none);
    heads.forEach(function (th, i) {
      var label = th.textContent.trim();
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.textContent = label;
      button.addEventListener("click", function () { sortBy(i); });
      th.textContent = "";
      th.appendChild(button);
      ["a", "d"].forEach(function (direction) {
        var option = document.createElement("option");
        option.value = i + ":" + direction;
        option.textContent = label + " (" + root.getAttribute(direction === "a" ? "data-ascending" : "data-descending") + ")";
        sorter.appendChild(option);
      });
    });
    sorter.addEventListener("change", function () {
      var picked = sorter.value.split(":");
      state.column = sorter.value ? Number(picked[0]) : -1;
      state.descending = picked[1] === "d";
      apply();
    });
    filter.addEventListener("input", apply);
    if (below) { below.addEventListener("change", apply); }
    root.querySelector("[data-chart-tools]").hidden = false;
    if (column >= 0 && typeof window.Chart !== "undefined") {
      root.querySelector("[data-chart-figure]").hidden = false;
    }
    apply();
  }

  document.querySelectorAll("[data-chart-table]").forEach(setUp);
})();
