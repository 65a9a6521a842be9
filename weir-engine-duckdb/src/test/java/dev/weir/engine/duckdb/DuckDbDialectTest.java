package dev.weir.engine.duckdb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.Dialect.SeedType;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.RelationType;
import java.util.List;
import org.junit.jupiter.api.Test;

class DuckDbDialectTest {
  final DuckDbDialect d = DuckDbDialect.INSTANCE;

  @Test
  void quotingAndRendering() {
    assertThat(d.quote("my \"col\"")).isEqualTo("\"my \"\"col\"\"\"");
    assertThat(d.render(Relation.of("db", "s", "t"))).isEqualTo("\"db\".\"s\".\"t\"");
    assertThat(d.render(Relation.of(null, "s", "t"))).isEqualTo("\"s\".\"t\"");
    assertThat(d.stringLiteral("it's")).isEqualTo("'it''s'");
  }

  @Test
  void ddl() {
    Relation r = Relation.of("db", "s", "t");
    assertThat(d.createSchemaIfNotExists("db", "s")).isEqualTo("create schema if not exists \"db\".\"s\"");
    assertThat(d.createSchemaIfNotExists(null, "s")).isEqualTo("create schema if not exists \"s\"");
    assertThat(d.dropIfExists(r, RelationType.VIEW)).isEqualTo("drop view if exists \"db\".\"s\".\"t\"");
    assertThat(d.dropIfExists(r, RelationType.TABLE)).isEqualTo("drop table if exists \"db\".\"s\".\"t\"");
    assertThat(d.rename(r, RelationType.TABLE, "u")).isEqualTo("alter table \"db\".\"s\".\"t\" rename to \"u\"");
    assertThat(d.createTable(r, List.of(new ColumnInfo("a", "BIGINT"), new ColumnInfo("b c", "VARCHAR"))))
        .isEqualTo("create table \"db\".\"s\".\"t\" (\"a\" BIGINT, \"b c\" VARCHAR)");
    assertThat(d.createTableAs(r, "select 1")).isEqualTo("create table \"db\".\"s\".\"t\" as (\nselect 1\n)");
  }

  @Test
  void seedTypes() {
    assertThat(d.typeFor(SeedType.INTEGER)).isEqualTo("INTEGER");
    assertThat(d.typeFor(SeedType.BIGINT)).isEqualTo("BIGINT");
    assertThat(d.typeFor(SeedType.NUMBER)).isEqualTo("DOUBLE");
    assertThat(d.typeFor(SeedType.BOOLEAN)).isEqualTo("BOOLEAN");
    assertThat(d.typeFor(SeedType.DATE)).isEqualTo("DATE");
    assertThat(d.typeFor(SeedType.TIMESTAMP)).isEqualTo("TIMESTAMP");
    assertThat(d.typeFor(SeedType.TEXT)).isEqualTo("VARCHAR");
  }
}
