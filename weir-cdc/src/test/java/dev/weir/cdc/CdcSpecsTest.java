package dev.weir.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.core.WeirException;
import dev.weir.core.util.Secrets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CdcSpecsTest {
  private static final Map<String, String> ENV = Map.of("CDC_USER", "weir", "CDC_PASSWORD", "s3cret-pw");
  private static final String BASE = """
      cdc:
        - name: shop_cdc
          connector: postgres
          host: localhost
          port: 5432
          database: shop
          user: "{{ env_var('CDC_USER') }}"
          password: "{{ env_var('CDC_PASSWORD') }}"
          tables: [public.orders, customers]
          target_schema: raw_cdc
      """;

  private static WeirException error(String yaml) {
    try {
      CdcSpecs.parse(yaml, "cdc/shop.yml", ENV);
    } catch (WeirException e) {
      return e;
    }
    throw new AssertionError("no error");
  }

  @Test
  void defaultsAndFullSpec() {
    List<CdcSpec> l = CdcSpecs.parse(BASE, "cdc/shop.yml", ENV);
    assertThat(l).hasSize(1);
    CdcSpec s = l.get(0);
    assertThat(s.name()).isEqualTo("shop_cdc");
    assertThat(s.user()).isEqualTo("weir");
    assertThat(s.password()).isEqualTo("s3cret-pw");
    assertThat(s.tables()).containsExactly("public.orders", "public.customers");
    assertThat(s.includeList()).isEqualTo("public\\.orders,public\\.customers");
    assertThat(s.snapshot()).isEqualTo(CdcSpec.Snapshot.INITIAL);
    assertThat(s.softDelete()).isFalse();
    assertThat(s.history()).isFalse();
    assertThat(s.slot()).isEqualTo("weir_shop_cdc");
    assertThat(s.publication()).isEqualTo("weir_shop_cdc");
    assertThat(s.toString()).doesNotContain("s3cret-pw");
    assertThat(Secrets.mask("password s3cret-pw")).doesNotContain("s3cret-pw");
    CdcSpec f = CdcSpecs.parse("""
        name: one
        database: {env_var: CDC_USER}
        user: weir
        password: {env_var: CDC_PASSWORD}
        table_pattern: "public\\\\.order.*"
        snapshot: never
        soft_delete: true
        history: true
        slot: my_slot
        publication: my_pub
        max_batch: 500
        """, "cdc/one.yml", ENV).get(0);
    assertThat(f.targetSchema()).isEqualTo("raw_one");
    assertThat(f.includeList()).isEqualTo("public\\.order.*");
    assertThat(f.snapshot()).isEqualTo(CdcSpec.Snapshot.NEVER);
    assertThat(f.softDelete()).isTrue();
    assertThat(f.history()).isTrue();
    assertThat(f.slot()).isEqualTo("my_slot");
    assertThat(f.maxBatch()).isEqualTo(500);
  }

  @Test
  void errorsNameFileAndLine() {
    assertThat(error(BASE + "    snapshott: initial\n").describe()).contains("cdc/shop.yml:11:").contains("Unknown key 'snapshott'")
        .contains("'snapshot'");
    assertThat(error(BASE.replace("\"{{ env_var('CDC_PASSWORD') }}\"", "hunter2")).describe()).contains("cdc/shop.yml:8:")
        .contains("is a secret").doesNotContain("hunter2");
    assertThat(error(BASE.replace("CDC_PASSWORD", "NOPE")).describe()).contains("cdc/shop.yml:8:").contains("NOPE").contains("not set");
    assertThat(error(BASE.replace("connector: postgres", "connector: mariabd")).describe()).contains("cdc/shop.yml:3:")
        .contains("postgres, mysql or mariadb").contains("'mariadb'");
    // binlog sources: tables of their database, no slot; server_id only for them
    assertThat(error(BASE.replace("connector: postgres", "connector: mysql").replace("database: shop", "database: public")
        + "    slot: weir_x\n").describe()).contains("cdc/shop.yml:11:").contains("'slot' is for postgres");
    assertThat(error(BASE.replace("connector: postgres", "connector: mysql")).describe()).contains("cdc/shop.yml:9:")
        .contains("not in database 'shop'");
    assertThat(error(BASE + "    server_id: 7\n").describe()).contains("cdc/shop.yml:11:").contains("mysql and mariadb");
    assertThat(error(BASE.replace("port: 5432", "port: fifty")).describe()).contains("cdc/shop.yml:5:").contains("port number");
    assertThat(error(BASE.replace("tables: [public.orders, customers]", "tables: [public.orders, \"a.b.c\"]")).describe())
        .contains("cdc/shop.yml:9:").contains("'a.b.c'");
    assertThat(error(BASE.replace("    tables: [public.orders, customers]\n", "")).describe()).contains("names no table");
    assertThat(error(BASE + "    snapshot: sometimes\n").describe()).contains("cdc/shop.yml:11:").contains("initial or never");
    assertThat(error(BASE + "    soft_delete: maybe\n").describe()).contains("cdc/shop.yml:11:").contains("true or false");
    assertThat(error(BASE + "    slot: Bad-Slot\n").describe()).contains("cdc/shop.yml:11:").contains("slot");
    assertThat(error(BASE + "  - name: shop_cdc\n").describe()).contains("no 'database:'");
  }

  @Test
  void publishWithKafkaAsTheOnlyTransport() {
    String pub = "    publish: {bootstrap_servers: 'k:9092', topic_prefix: shop}\n";
    CdcSpec both = CdcSpecs.parse(BASE + pub, "cdc/shop.yml", ENV).get(0);
    assertThat(both.publish().warehouse()).isTrue();
    assertThat(both.publish().schemas()).isTrue();
    assertThat(CdcSpecs.parse(BASE + pub.replace("}", ", schemas: false}"), "cdc/shop.yml", ENV).get(0).publish().schemas()).isFalse();
    assertThat(both.writesTables()).isTrue();
    CdcSpec only = CdcSpecs.parse(BASE + pub.replace("}", ", warehouse: false}"), "cdc/shop.yml", ENV).get(0);
    assertThat(only.writesTables()).isFalse();
    assertThat(error(BASE + pub.replace("}", ", warehouse: false}") + "    history: true\n").describe())
        .contains("cdc/shop.yml:11:").contains("'history' do not apply");
    assertThat(error(BASE + pub.replace("}", ", warehous: false}")).describe()).contains("Unknown key 'warehous'").contains("'warehouse'");
  }

  @Test
  void mysqlAndMariadbSources() {
    String y = """
        name: shop_mdb
        connector: MariaDB
        database: shop
        user: weir
        password: {env_var: CDC_PASSWORD}
        tables: [shop.orders, customers]
        """;
    CdcSpec s = CdcSpecs.parse(y, "cdc/mdb.yml", ENV).get(0);
    assertThat(s.connector()).isEqualTo("mariadb");
    assertThat(s.binlog()).isTrue();
    assertThat(s.port()).isEqualTo(3306);
    assertThat(s.tables()).containsExactly("shop.orders", "shop.customers");
    assertThat(s.includeList()).isEqualTo("shop\\.orders,shop\\.customers");
    assertThat(s.slot()).isNull();
    assertThat(s.serverId()).isBetween(5_400_000L, 6_399_999L).isEqualTo(CdcSpecs.parse(y, "cdc/mdb.yml", ENV).get(0).serverId());
    assertThat(CdcSpecs.parse(y.replace("shop_mdb", "other"), "cdc/mdb.yml", ENV).get(0).serverId()).isNotEqualTo(s.serverId());
    CdcSpec m = CdcSpecs.parse(y.replace("MariaDB", "mysql") + "server_id: 4242\nport: 3307\nsnapshot: never\n", "cdc/mdb.yml", ENV).get(0);
    assertThat(m.serverId()).isEqualTo(4242);
    assertThat(m.port()).isEqualTo(3307);
    assertThat(m.snapshot()).isEqualTo(CdcSpec.Snapshot.NEVER);
    java.util.Properties p = CdcRunner.properties(m);
    assertThat(p.getProperty("connector.class")).isEqualTo("io.debezium.connector.mysql.MySqlConnector");
    assertThat(p.getProperty("snapshot.mode")).isEqualTo("no_data");
    assertThat(p.getProperty("database.server.id")).isEqualTo("4242");
    assertThat(p.getProperty("schema.history.internal")).isEqualTo(WarehouseSchemaHistory.class.getName());
    assertThat(error(y.replace("server_id", "x") + "server_id: -1\n").describe()).contains("server_id");
    assertThat(BinlogJdbcDriver.rewrite(" show binary log status ")).isEqualTo("SHOW MASTER STATUS");
    assertThat(BinlogJdbcDriver.rewrite("select 1")).isEqualTo("select 1");
  }
}
