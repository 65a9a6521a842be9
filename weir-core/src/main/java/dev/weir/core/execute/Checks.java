package dev.weir.core.execute;

import dev.weir.core.engine.Dialect;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How each built-in check is computed inside one scan of its relation: as aggregate expressions
 * that a {@link CheckFusion} query evaluates together with every other check on the same relation.
 *
 * <p>A check's standalone SQL (its generic test macro: dbt's four in generic_tests.sql, the rest in
 * expectations.sql) stays the reference: a fused check that finds no failure reports a pass with 0
 * failures, which is exactly what the standalone query would say; a fused check that finds
 * failures lets the standalone query run, so failure counts, failing rows and thresholds stay
 * dbt's. The equivalence is tested check by check (ChecksFusionE2ETest).
 */
final class Checks {
  private Checks() {}

  /** Checks computed from aggregates over one scan. */
  static final Set<String> FUSABLE = Set.of("not_null", "accepted_values", "relationships",
      "values_between", "not_accepted_values", "matches_regex", "not_matches_regex", "length_between", "not_in_future",
      "not_older_than", "expression_is_true", "row_count_between", "null_fraction", "distinct_fraction", "min_between",
      "max_between", "mean_between", "stddev_between", "sum_between", "percentile_between", "recency",
      "metric_change", "anomaly");

  /** Checks judged in Java against the history table: never run as standalone SQL. */
  static final Set<String> HISTORY = Set.of("metric_change", "anomaly");

  /** A check's verdict from the fused values: failing, and the metric behind it. */
  record Eval(boolean failing, Double metric, String threshold) {}

  /**
   * One check's part of the scan.
   *
   * @param aggregates select-list aggregate expressions (filtered by the check's where)
   * @param bad        for row-level checks, the predicate of a failing row (for quarantine), else null
   * @param judge      the verdict from the values of {@code aggregates}, in order
   * @param alone      computed by a query of its own (a distinct count: in one query with the other
   *                   aggregates it keeps engines from aggregating in parallel)
   */
  record Part(List<String> aggregates, String bad, Judge judge, boolean alone) {
    Part(List<String> aggregates, String bad, Judge judge) { this(aggregates, bad, judge, false); }
  }

  interface Judge {
    Eval judge(List<Object> values);
  }

  /** A row-level check: a predicate that marks failing rows. */
  static Part rows(String where, String bad, Object mostly) {
    // Exact decimals, as the standalone SQL computes (1 - mostly) * count(*): 0.9 of 10 rows allows exactly 1.
    java.math.BigDecimal m = mostly == null ? java.math.BigDecimal.ONE : new java.math.BigDecimal(String.valueOf(mostly).strip());
    java.math.BigDecimal allowedFraction = java.math.BigDecimal.ONE.subtract(m);
    String w = where == null ? "" : "(" + where + ") and ";
    List<String> aggs = List.of("count(*) filter (where " + w + "(" + bad + "))",
        "count(*)" + (where == null ? "" : " filter (where " + where + ")"));
    return new Part(aggs, bad, v -> {
      long badRows = lng(v.get(0));
      long total = lng(v.get(1));
      boolean strict = m.compareTo(java.math.BigDecimal.ONE) >= 0;
      boolean failing = strict ? badRows > 0
          : java.math.BigDecimal.valueOf(badRows).compareTo(allowedFraction.multiply(java.math.BigDecimal.valueOf(total))) > 0;
      return new Eval(failing, (double) badRows, strict ? "0 failing rows"
          : "at most " + allowedFraction.movePointRight(2).stripTrailingZeros().toPlainString() + "% failing rows");
    });
  }

  /**
   * The part of check {@code name} with rendered {@code kwargs} ({@code column_name} and the
   * check's arguments), or null when the check cannot be fused.
   */
  static Part part(String name, Map<String, Object> kwargs, String where, Dialect d, int seq) {
    String col = kwargs.get("column_name") == null ? null : String.valueOf(kwargs.get("column_name"));
    Object mostly = kwargs.get("mostly");
    String filter = where == null ? "" : " filter (where " + where + ")";
    return switch (name) {
      // count(col) reads only the validity mask (DuckDB keeps null counts per row group).
      case "not_null" -> new Part(List.of("count(*)" + filter + " - count(" + col + ")" + filter), col + " is null",
          v -> new Eval(lng(v.get(0)) > 0, (double) lng(v.get(0)), "0 failing rows"));
      case "accepted_values" -> rows(where, col + " not in (" + valueList(kwargs.get("values"), kwargs.get("quote"), d) + ")", null);
      case "not_accepted_values" -> rows(where, col + " in (" + valueList(kwargs.get("values"), kwargs.get("quote"), d) + ")", mostly);
      case "relationships" -> {
        // An anti-join as "not in" over the parent's non-null keys (a hashed subplan on both engines):
        // the same rows as dbt's left join ... where parent is null.
        Object field = kwargs.get("field");
        yield rows(where, col + " is not null and " + col + " not in (select " + field + " from " + kwargs.get("to")
            + " where " + field + " is not null)", null);
      }
      case "values_between" -> {
        boolean incl = !Boolean.FALSE.equals(bool(kwargs.get("inclusive")));
        List<String> out = new ArrayList<>();
        if (kwargs.get("min_value") != null) out.add(col + (incl ? " < " : " <= ") + literal(kwargs.get("min_value"), d));
        if (kwargs.get("max_value") != null) out.add(col + (incl ? " > " : " >= ") + literal(kwargs.get("max_value"), d));
        String bad = col + " is not null and (" + String.join(" or ", out) + ")";
        yield mostly == null ? extremes(bad, col, kwargs.get("min_value"), kwargs.get("max_value"), incl, filter, d)
            : rows(where, bad, mostly);
      }
      case "matches_regex" -> rows(where, col + " is not null and not " + d.regexMatches("cast(" + col + " as varchar)",
          d.stringLiteral(String.valueOf(kwargs.get("regex")))), mostly);
      case "not_matches_regex" -> rows(where, col + " is not null and " + d.regexMatches("cast(" + col + " as varchar)",
          d.stringLiteral(String.valueOf(kwargs.get("regex")))), mostly);
      case "length_between" -> {
        boolean incl = !Boolean.FALSE.equals(bool(kwargs.get("inclusive")));
        String len = "length(cast(" + col + " as varchar))";
        List<String> out = new ArrayList<>();
        if (kwargs.get("min_length") != null) out.add(len + (incl ? " < " : " <= ") + literal(kwargs.get("min_length"), d));
        if (kwargs.get("max_length") != null) out.add(len + (incl ? " > " : " >= ") + literal(kwargs.get("max_length"), d));
        String bad = col + " is not null and (" + String.join(" or ", out) + ")";
        yield mostly == null ? extremes(bad, len, kwargs.get("min_length"), kwargs.get("max_length"), incl, filter, d)
            : rows(where, bad, mostly);
      }
      case "not_in_future" -> {
        String ts = "cast(" + col + " as timestamp)";
        String bad = ts + " > " + now();
        yield mostly == null ? extreme(bad, "max(" + ts + ")" + filter + " > " + now()) : rows(where, bad, mostly);
      }
      case "not_older_than" -> {
        String ts = "cast(" + col + " as timestamp)";
        String bad = ts + " < " + now() + " - " + interval(kwargs);
        yield mostly == null ? extreme(bad, "min(" + ts + ")" + filter + " < " + now() + " - " + interval(kwargs))
            : rows(where, bad, mostly);
      }
      case "expression_is_true" -> {
        String expr = (col == null ? "" : col + " ") + kwargs.get("expression");
        yield rows(where, "not (" + expr + ")", mostly);
      }
      case "row_count_between" -> bounded("count(*)" + filter, kwargs, "row count");
      case "null_fraction" -> {
        // count(*) - count(col): the same nulls, read from validity masks, shared with not_null.
        String nulls = "count(*)" + filter + " - count(" + col + ")" + filter;
        yield ratio(nulls, "count(*)" + filter, kwargs, "null fraction");
      }
      case "distinct_fraction" -> alone(ratio("count(distinct " + col + ")" + filter, "count(" + col + ")" + filter, kwargs, "distinct fraction"));
      case "min_between" -> bounded("min(" + col + ")" + filter, kwargs, "min");
      case "max_between" -> bounded("max(" + col + ")" + filter, kwargs, "max");
      case "mean_between" -> bounded("avg(" + col + ")" + filter, kwargs, "mean");
      case "stddev_between" -> bounded("stddev_samp(" + col + ")" + filter, kwargs, "stddev");
      case "sum_between" -> bounded("sum(" + col + ")" + filter, kwargs, "sum");
      case "percentile_between" -> bounded(d.percentileCont(col, String.valueOf(num(kwargs.get("p")))) + filter, kwargs,
          "p" + fmt(num(kwargs.get("p")) * 100));
      case "recency" -> metricPart(List.of("case when count(*)" + filter + " = 0 or max(cast(" + col
              + " as timestamp))" + filter + " < " + now() + " - " + interval(kwargs) + " then 1 else 0 end"),
          v -> new Eval(lng(v.get(0)) > 0, null, "newest value within " + interval(kwargs)));
      case "metric_change", "anomaly" -> {
        String expr = metricExpr(String.valueOf(kwargs.getOrDefault("metric", "row_count")), col, where, d, kwargs);
        Part p = expr == null ? null : metricPart(List.of(expr), v -> new Eval(false, v.get(0) == null ? null : num(v.get(0)), null));
        yield p != null && expr.contains("distinct") ? alone(p) : p;
      }
      default -> null;
    };
  }

  /** The aggregate a history check measures: row_count, null_count, null_fraction, distinct_count, min, max, mean, sum, stddev. */
  static String metricExpr(String metric, String col, String where, Dialect d, Map<String, Object> kwargs) {
    String filter = where == null ? "" : " filter (where " + where + ")";
    String w = where == null ? "" : "(" + where + ") and ";
    return switch (metric.toLowerCase(Locale.ROOT)) {
      case "row_count" -> "count(*)" + filter;
      case "null_count" -> "count(*) filter (where " + w + col + " is null)";
      case "null_fraction" -> "cast(count(*) filter (where " + w + col + " is null) as double precision) / nullif(count(*)" + filter + ", 0)";
      case "distinct_count" -> "count(distinct " + col + ")" + filter;
      case "min" -> "cast(min(" + col + ")" + filter + " as double precision)";
      case "max" -> "cast(max(" + col + ")" + filter + " as double precision)";
      case "mean" -> "cast(avg(" + col + ")" + filter + " as double precision)";
      case "sum" -> "cast(sum(" + col + ")" + filter + " as double precision)";
      case "stddev" -> "cast(stddev_samp(" + col + ")" + filter + " as double precision)";
      default -> null;
    };
  }

  static final Set<String> METRICS = Set.of("row_count", "null_count", "null_fraction", "distinct_count", "min", "max", "mean", "sum", "stddev");

  private static Part metricPart(List<String> aggs, Judge j) { return new Part(aggs, null, j); }

  /**
   * A zero-tolerance range check decided by the extremes: some row is outside the bounds exactly
   * when the minimum or the maximum is. min and max are cheap aggregates (no per-row branch, and
   * engines may answer them from column statistics), so the scan costs little more than reading.
   */
  private static Part extremes(String bad, String expr, Object lo, Object hi, boolean inclusive, String filter, Dialect d) {
    List<String> out = new ArrayList<>();
    if (lo != null) out.add("min(" + expr + ")" + filter + (inclusive ? " < " : " <= ") + literal(lo, d));
    if (hi != null) out.add("max(" + expr + ")" + filter + (inclusive ? " > " : " >= ") + literal(hi, d));
    return extreme(bad, String.join(" or ", out));
  }

  private static Part extreme(String bad, String cond) {
    return new Part(List.of("case when " + cond + " then 1 else 0 end"), bad,
        v -> lng(v.get(0)) > 0 ? new Eval(true, null, "0 failing rows") : new Eval(false, 0.0, "0 failing rows"));
  }

  private static Part alone(Part p) { return new Part(p.aggregates(), p.bad(), p.judge(), true); }

  private static Part bounded(String expr, Map<String, Object> kwargs, String what) {
    Double min = kwargs.get("min_value") == null ? null : num(kwargs.get("min_value"));
    Double max = kwargs.get("max_value") == null ? null : num(kwargs.get("max_value"));
    return metricPart(List.of(expr), v -> {
      Double x = v.get(0) == null ? null : num(v.get(0));
      return new Eval(outside(x, min, max), x, what + " " + range(min, max));
    });
  }

  private static Part ratio(String num, String den, Map<String, Object> kwargs, String what) {
    Double min = kwargs.get("min_value") == null ? null : num(kwargs.get("min_value"));
    Double max = kwargs.get("max_value") == null ? null : num(kwargs.get("max_value"));
    return metricPart(List.of(num, den), v -> {
      long n = lng(v.get(0));
      long dd = lng(v.get(1));
      double x = dd == 0 ? 0.0 : (double) n / dd;
      return new Eval(outside(x, min, max), x, what + " " + range(min, max));
    });
  }

  /** Bounds are inclusive; a null metric (no rows to measure) is not outside. */
  static boolean outside(Double x, Double min, Double max) {
    if (x == null) return false;
    return (min != null && x < min) || (max != null && x > max);
  }

  static String range(Double min, Double max) {
    if (min != null && max != null) return "between " + fmt(min) + " and " + fmt(max);
    if (min != null) return ">= " + fmt(min);
    return "<= " + fmt(max);
  }

  static String now() { return "cast(current_timestamp as timestamp)"; }

  static String interval(Map<String, Object> kwargs) {
    // Whole seconds, as the standalone SQL: hours: 2.5 is 9000 seconds.
    Map<String, Integer> secs = Map.of("days", 86400, "hours", 3600, "minutes", 60);
    for (String unit : List.of("days", "hours", "minutes")) {
      Object v = kwargs.get(unit);
      if (v != null) return "interval '" + Math.round(num(v) * secs.get(unit)) + " seconds'";
    }
    return "interval '0 seconds'";
  }

  static String valueList(Object values, Object quote, Dialect d) {
    boolean q = !Boolean.FALSE.equals(bool(quote));
    List<String> out = new ArrayList<>();
    if (values instanceof Collection<?> c) {
      for (Object v : c) out.add(q ? "'" + dev.weir.jinja.Python.str(v) + "'" : dev.weir.jinja.Python.str(v));
    }
    return String.join(", ", out);
  }

  /** A bound as SQL: numbers bare, anything else as a string literal. */
  static String literal(Object v, Dialect d) {
    if (v instanceof Number) return dev.weir.jinja.Python.str(v);
    String s = String.valueOf(v);
    try {
      Double.parseDouble(s);
      return s;
    } catch (NumberFormatException e) {
      return d.stringLiteral(s);
    }
  }

  static List<String> strings(Object o) {
    List<String> out = new ArrayList<>();
    if (o instanceof Collection<?> c) for (Object x : c) out.add(String.valueOf(x));
    else if (o != null) out.add(String.valueOf(o));
    return out;
  }

  static Boolean bool(Object o) {
    if (o == null) return null;
    if (o instanceof Boolean b) return b;
    return !"false".equalsIgnoreCase(String.valueOf(o).strip());
  }

  static double num(Object o) {
    if (o instanceof Number n) return n.doubleValue();
    return Double.parseDouble(String.valueOf(o).strip());
  }

  static long lng(Object o) {
    if (o == null) return 0;
    if (o instanceof Number n) return n.longValue();
    return new java.math.BigDecimal(String.valueOf(o).strip()).longValue();
  }

  static String fmt(double d) {
    if (d == Math.rint(d) && Math.abs(d) < 1e15) return String.valueOf((long) d);
    return String.format(Locale.ROOT, "%.4g", d).replaceAll("(\\.\\d*?)0+$", "$1").replaceAll("\\.$", "");
  }
}
