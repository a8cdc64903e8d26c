// Charts of /loyalty/reports: points per month (bars) and members per tier (pie); the page has the tables too.
(function () {
  function init(el) {
    if (!window.echarts || el.dataset.drawn) return null;
    el.dataset.drawn = "1";
    var chart = echarts.init(el, null, { renderer: "svg" });
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  }
  function drawFlow(el) {
    var chart = init(el);
    if (!chart) return;
    var d = JSON.parse(el.dataset.loyaltyFlow), labels = JSON.parse(el.dataset.labels);
    chart.setOption({
      animation: false, color: ["#2f5d8a", "#b4232a", "#999999"], tooltip: { trigger: "axis" },
      legend: { bottom: 0 }, xAxis: { type: "category", data: d.months }, yAxis: { type: "value" },
      series: ["earned", "redeemed", "expired"].map(function (k) {
        return { name: labels[k], type: "bar", data: d.series[k] };
      })
    });
  }
  function drawTiers(el) {
    var chart = init(el);
    if (!chart) return;
    chart.setOption({
      animation: false, tooltip: { trigger: "item" },
      series: [{ type: "pie", radius: ["35%", "70%"], label: { formatter: "{b}: {c}" },
                 data: JSON.parse(el.dataset.loyaltyTiers) }]
    });
  }
  function drawAll() {
    document.querySelectorAll("[data-loyalty-flow]").forEach(drawFlow);
    document.querySelectorAll("[data-loyalty-tiers]").forEach(drawTiers);
  }
  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:afterSettle", drawAll);
})();
