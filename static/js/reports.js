// Report charts, drawn with the vendored uPlot from the page's JSON data island (#report-data, written by
// json_script): no inline script. Every chart has its numbers in the table beside it, with the drill-down
// links; clicking a bar of the distribution follows that bar's link.
(function () {
  "use strict";

  var COLOURS = ["#1f5fbf", "#1e7b34", "#8a5a00", "#b3261e"];

  function widthOf(el) {
    return Math.max(280, el.clientWidth - 16);
  }

  function seriesChart(el, data) {
    var series = [{}];
    var values = [data.x];
    data.lines.forEach(function (line, i) {
      series.push({ label: line.label, stroke: COLOURS[i % COLOURS.length], width: 2, points: { show: data.x.length < 40 } });
      values.push(line.values);
    });
    return new uPlot({ width: widthOf(el), height: 240, series: series, axes: [{}, { size: 50 }], scales: { x: { time: true } } }, values, el);
  }

  function bucketsChart(el, data) {
    var x = data.labels.map(function (_label, i) { return i; });
    var bars = uPlot.paths.bars({ size: [0.6 / Math.max(1, data.bars.length), 60], gap: 2 });
    var series = [{}];
    var values = [x];
    data.bars.forEach(function (bar, i) {
      series.push({ label: bar.label, fill: COLOURS[i % COLOURS.length], stroke: COLOURS[i % COLOURS.length], paths: bars, points: { show: false } });
      values.push(bar.values);
    });
    var chart = new uPlot({
      width: widthOf(el),
      height: 240,
      series: series,
      scales: { x: { time: false, range: [-0.5, x.length - 0.5] }, y: { range: function (_u, _min, max) { return [0, Math.max(1, max)]; } } },
      axes: [{ splits: function () { return x; }, values: function (_u, splits) { return splits.map(function (i) { return data.labels[i] || ""; }); } }, { size: 50 }],
    }, values, el);
    chart.over.addEventListener("click", function () {
      var idx = chart.cursor.idx;
      var link = idx == null ? null : document.getElementById("bucket-" + idx);
      if (link) window.location.assign(link.href);
    });
    return chart;
  }

  function draw() {
    var island = document.getElementById("report-data");
    if (!island || typeof uPlot === "undefined") return;
    var data = JSON.parse(island.textContent);
    var drawers = { series: seriesChart, buckets: bucketsChart };
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var name = el.getAttribute("data-chart");
      if (!data[name] || !drawers[name]) return;
      el.textContent = "";
      drawers[name](el, data[name]);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
