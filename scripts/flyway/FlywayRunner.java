// A tiny stand-in for Flyway's command line (org.flywaydb:flyway-commandline is not served by
// Maven Central here): `flyway -url=<jdbc-url> -user=<user> -locations=filesystem:<dir> migrate|info|validate`,
// on flyway-core and flyway-database-postgresql. The password comes from FLYWAY_PASSWORD only.
// The tests use it to make a real flyway_schema_history and to check it after an undo.
import java.util.HashMap;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;

public class FlywayRunner {
  public static void main(String[] args) {
    Map<String, String> options = new HashMap<>();
    String command = null;
    for (String arg : args) {
      if (arg.startsWith("-") && arg.contains("=")) {
        options.put(arg.substring(1, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
      } else {
        command = arg;
      }
    }
    var config = Flyway.configure()
        .dataSource(options.get("url"), options.get("user"), System.getenv("FLYWAY_PASSWORD"))
        .locations(options.getOrDefault("locations", "filesystem:sql"))
        .cleanDisabled(true);
    if (options.containsKey("target")) config = config.target(options.get("target"));
    Flyway flyway = config.load();
    if ("migrate".equals(command)) {
      var result = flyway.migrate();
      System.out.println("Successfully applied " + result.migrationsExecuted + " migrations, now at version " + result.targetSchemaVersion);
    } else if ("info".equals(command)) {
      for (MigrationInfo info : flyway.info().all()) {
        System.out.println(info.getVersion() + "|" + info.getDescription() + "|" + info.getState().getDisplayName());
      }
    } else if ("validate".equals(command)) {
      flyway.validate();
      System.out.println("Successfully validated");
    } else {
      System.err.println("usage: flyway -url=<jdbc-url> -user=<user> [-locations=filesystem:<dir>] [-target=<v>] migrate|info|validate");
      System.exit(2);
    }
  }
}
