// Draws the charts of a page from their data-chart attribute (the page holds the same figures as a table).
(function () {
  function draw(el) {
    if (!window.echarts || el.dataset.drawn) return;
    var data = JSON.parse(el.dataset.chart);
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      color: ["#b4232a", "#2f5d8a"],
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 60, right: 70, top: 40, bottom: 30 },
      xAxis: { type: "category", data: data.months },
      yAxis: [
        { type: "value", name: el.dataset.labelOrders, minInterval: 1 },
        { type: "value", name: el.dataset.labelRevenue, splitLine: { show: false } }
      ],
      series: [
        { name: el.dataset.labelOrders, type: "bar", data: data.orders, barMaxWidth: 28 },
        { name: el.dataset.labelRevenue, type: "line", yAxisIndex: 1, smooth: true, data: data.revenue }
      ]
    });
    el.dataset.drawn = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function drawAll() { document.querySelectorAll("[data-chart]").forEach(draw); }
  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:afterSettle", drawAll);
})();
