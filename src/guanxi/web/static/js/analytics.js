// Analytics charts from data-analytics-chart (each page also holds the same figures as a table).
(function () {
  var COLORS = ["#b4232a", "#2f5d8a"];
  var builders = {
    bars: function (d) {
      return { grid: { left: 140, right: 20, top: 10, bottom: 30 }, tooltip: {},
        xAxis: { type: "value", minInterval: 1 }, yAxis: { type: "category", data: d.labels, inverse: true },
        series: [{ type: "bar", data: d.values, barMaxWidth: 18 }] };
    },
    heatmap: function (d, el) {
      return { grid: { left: 80, right: 20, top: 10, bottom: 60 }, tooltip: {},
        xAxis: { type: "category", data: d.columns, name: el.dataset.labelMonths, nameLocation: "middle", nameGap: 28 },
        yAxis: { type: "category", data: d.rows, inverse: true },
        visualMap: { min: 0, max: 100, orient: "horizontal", left: "center", bottom: 0, itemHeight: 120,
                     inRange: { color: ["#f7f3ee", "#b4232a"] }, show: false },
        series: [{ type: "heatmap", data: d.cells, label: { show: d.cells.length < 200 } }] };
    },
    tracking: function (d, el) {
      return { grid: { left: 70, right: 20, top: 40, bottom: 30 }, tooltip: { trigger: "axis" }, legend: { top: 0 },
        xAxis: { type: "category", data: d.weeks }, yAxis: { type: "value" },
        series: [
          { name: el.dataset.labelActual, type: "line", data: d.actual, showSymbol: false,
            markLine: { symbol: "none", label: { formatter: el.dataset.labelCalibration },
                        data: [{ xAxis: d.weeks[d.calibration_week] }] } },
          { name: el.dataset.labelExpected, type: "line", data: d.expected, showSymbol: false, lineStyle: { type: "dashed" } }
        ] };
    }
  };
  function draw(el) {
    if (!window.echarts || el.dataset.drawn) return;
    var data = JSON.parse(el.dataset.analyticsChart);
    var chart = echarts.init(el, null, { renderer: "svg" });
    var option = builders[data.kind](data, el);
    option.animation = false;
    option.color = COLORS;
    chart.setOption(option);
    el.dataset.drawn = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function drawAll() { document.querySelectorAll("[data-analytics-chart]").forEach(draw); }
  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:afterSettle", drawAll);
})();
