// The funnel chart of /analytics/funnel from data-funnel-chart (the page also holds the figures as a table).
(function () {
  function draw(el) {
    if (!window.echarts || el.dataset.drawn) return;
    var d = JSON.parse(el.dataset.funnelChart);
    var labels = JSON.parse(el.dataset.labels);
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false, color: ["#b4232a", "#c9584f", "#2f5d8a"], tooltip: { trigger: "item" },
      series: [{ type: "funnel", sort: "none", left: "10%", width: "80%", minSize: "10%", gap: 2,
                 label: { show: true, position: "inside", formatter: "{b}: {c}" },
                 data: d.steps.map(function (s, i) { return { name: labels[s], value: d.values[i] }; }) }]
    });
    el.dataset.drawn = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function drawAll() { document.querySelectorAll("[data-funnel-chart]").forEach(draw); }
  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:afterSettle", drawAll);
})();
