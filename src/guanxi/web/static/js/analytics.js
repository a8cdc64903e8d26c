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
    sankey: function (d) {
      return { tooltip: { trigger: "item" },
        series: [{ type: "sankey", data: d.nodes, links: d.links, nodeGap: 6, left: 10, right: 160,
                   emphasis: { focus: "adjacency" }, lineStyle: { color: "gradient", curveness: 0.5 },
                   label: { fontSize: 11 } }] };
    },
    histogram: function (d, el) {
      return { grid: { left: 60, right: 20, top: 30, bottom: 60 }, tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: d.labels, name: el.dataset.labelValue, nameLocation: "middle", nameGap: 40,
                 axisLabel: { rotate: 30, fontSize: 10 } },
        yAxis: { type: "value", name: el.dataset.labelCustomers, minInterval: 1 },
        series: [{ type: "bar", data: d.counts, barCategoryGap: "5%" }] };
    },
    grid: function (d, el) {
      var scores = ["1", "2", "3", "4", "5"];
      return { grid: { left: 70, right: 20, top: 10, bottom: 50 }, tooltip: {},
        xAxis: { type: "category", data: scores, name: el.dataset.labelFrequency, nameLocation: "middle", nameGap: 28 },
        yAxis: { type: "category", data: scores, name: el.dataset.labelRecency, nameLocation: "middle", nameGap: 40 },
        visualMap: { min: 0, max: d.max || 1, show: false, inRange: { color: ["#f7f3ee", "#2f5d8a"] } },
        series: [{ type: "heatmap", data: d.cells, label: { show: true } }] };
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
