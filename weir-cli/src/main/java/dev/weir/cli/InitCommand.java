package dev.weir.cli;

import dev.weir.core.WeirException;
import dev.weir.core.execute.Workspace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "init", mixinStandardHelpOptions = true,
    description = "Creates a new project folder that builds at once on embedded DuckDB.")
final class InitCommand extends WeirCommand {
  @Parameters(index = "0", description = "The project name (letters, digits, underscores).")
  String name;

  @Override String commandName() { return "init"; }

  @Override
  int execute(Workspace ignored) throws IOException {
    if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw WeirException.usage("Project name '" + name + "' must be letters, digits and underscores, not starting with a digit");
    }
    Path base = common.projectDir != null ? common.projectDir : Path.of(".");
    Path dir = base.resolve(name);
    if (Files.exists(dir)) throw WeirException.usage("A folder named " + name + " already exists here: choose another name");
    Map<String, String> files = new LinkedHashMap<>();
    files.put("dbt_project.yml", """
        name: %s
        version: "1.0.0"
        config-version: 2
        # No profile is needed: without profiles.yml Weir builds into target/weir.duckdb.
        profile: %s

        model-paths: ["models"]
        seed-paths: ["seeds"]
        test-paths: ["tests"]
        macro-paths: ["macros"]

        models:
          %s:
            staging:
              +materialized: view
            marts:
              +materialized: table
        """.formatted(name, name, name));
    files.put("seeds/raw_orders.csv", """
        order_id,customer,ordered_on,amount
        1,ada,2026-01-03,12.50
        2,grace,2026-01-04,8.00
        3,ada,2026-01-09,20.25
        4,linus,2026-01-11,5.75
        """);
    files.put("models/staging/stg_orders.sql", """
        select
            order_id,
            lower(customer) as customer,
            cast(ordered_on as date) as ordered_on,
            amount
        from {{ ref('raw_orders') }}
        """);
    files.put("models/marts/customer_totals.sql", """
        select
            customer,
            count(*) as orders,
            sum(amount) as total_amount
        from {{ ref('stg_orders') }}
        group by customer
        """);
    files.put("models/schema.yml", """
        version: 2
        models:
          - name: stg_orders
            columns:
              - name: order_id
                data_tests: [unique, not_null]
          - name: customer_totals
            columns:
              - name: customer
                data_tests: [unique]
        """);
    files.put("macros/.gitkeep", "");
    files.put("tests/.gitkeep", "");
    files.put(".gitignore", "target/\nlogs/\n");
    for (Map.Entry<String, String> f : files.entrySet()) {
      Path p = dir.resolve(f.getKey());
      Files.createDirectories(p.getParent());
      Files.writeString(p, f.getValue());
    }
    console.info("Created project " + name + " in " + dir.toAbsolutePath().normalize());
    console.info("Next: cd " + name + " && weir build");
    return 0;
  }
}
