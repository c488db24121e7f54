"""Operations shared by migrations. Import them from here (a migration must not import another
app's migration module)."""

from django.db import migrations


class PostgresOnlySQL(migrations.RunSQL):
    """RunSQL that does nothing on another database: PostgreSQL functions that do in one round trip
    what a Python path (which SQLite keeps) does in several."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class SeparateDatabaseAndStateUnlessTable(migrations.SeparateDatabaseAndState):
    """SeparateDatabaseAndState whose database operations run only where `table` does not exist yet:
    for a change of shape that some databases already have (they ran an earlier form of a migration
    that was later written as a new one). The state operations always apply."""

    def __init__(self, table: str, database_operations=None, state_operations=None):
        super().__init__(database_operations=database_operations, state_operations=state_operations)
        self.table = table

    def deconstruct(self):
        name, args, kwargs = super().deconstruct()
        return name, args, {"table": self.table, **kwargs}

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if self.table not in schema_editor.connection.introspection.table_names():
            super().database_forwards(app_label, schema_editor, from_state, to_state)
