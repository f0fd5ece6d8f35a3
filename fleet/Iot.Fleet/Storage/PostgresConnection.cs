using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using Npgsql;

namespace Iot.Fleet.Storage;

/// <summary>
/// A PostgreSQL connection whose every transaction first takes the fleet's writer lock (a transaction-level advisory
/// lock, released at commit or rollback). The fleet was written for SQLite, where transactions begin IMMEDIATE and so
/// run one at a time: the journal numbers its messages from MAX(id), the ingest, the InfluxDB writer and the forwarder
/// follow records and events by id (an id committed after a higher one would be skipped), and the audit chain, claims,
/// campaigns and cases read, then write. Taking turns keeps every one of those right on PostgreSQL, across fleet
/// instances too; reads outside a transaction still run side by side.
/// </summary>
public sealed class PostgresConnection(NpgsqlConnection inner) : DbConnection
{
    /// <summary>The advisory lock key of the fleet's writers ("iotfleet" in ASCII).</summary>
    public const long WriterLock = 0x696f74666c656574;

    /// <summary>The Npgsql connection underneath, for what only PostgreSQL offers.</summary>
    public NpgsqlConnection Inner => inner;

    /// <summary>Keywords Npgsql reads: a `postgres://user:password@host:port/database?sslmode=…` URL becomes
    /// `Host=…;Port=…;Username=…;Password=…;Database=…`; keyword strings pass unchanged.</summary>
    public static string Keywords(string connectionString)
    {
        var text = connectionString.Trim();
        if (!text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) && !text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
            return text;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var url))
            throw new InvalidOperationException("Database:ConnectionString is not a valid postgres:// URL");
        var builder = new NpgsqlConnectionStringBuilder { Host = url.Host };
        if (url.Port > 0) builder.Port = url.Port;
        if (url.UserInfo is { Length: > 0 } user)
        {
            var colon = user.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Uri.UnescapeDataString(colon < 0 ? user : user[..colon]);
            if (colon >= 0) builder.Password = Uri.UnescapeDataString(user[(colon + 1)..]);
        }
        if (url.AbsolutePath.Trim('/') is { Length: > 0 } database) builder.Database = Uri.UnescapeDataString(database);
        foreach (var pair in url.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            try
            {
                builder[key] = value;
            }
            catch (ArgumentException e)
            {
                throw new InvalidOperationException($"Database:ConnectionString: '{key}' is not a PostgreSQL connection setting", e);
            }
        }
        return builder.ConnectionString;
    }

    [AllowNull]
    public override string ConnectionString
    {
        get => inner.ConnectionString;
        set => inner.ConnectionString = value;
    }

    public override string Database => inner.Database;
    public override string DataSource => inner.DataSource;
    public override string ServerVersion => inner.ServerVersion;
    public override ConnectionState State => inner.State;
    public override void ChangeDatabase(string databaseName) => inner.ChangeDatabase(databaseName);
    public override void Open() => inner.Open();
    public override void Close() => inner.Close();

    protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel)
    {
        var tx = inner.BeginTransaction(isolationLevel);
        // Waiting gives up after 10 s, like SQLite's busy timeout (FleetDatabase.Open): the stage fails and retries.
        using var take = new NpgsqlCommand("SET LOCAL lock_timeout = '10s'; SELECT pg_advisory_xact_lock(@key)", inner, tx);
        take.Parameters.AddWithValue("key", WriterLock);
        take.ExecuteNonQuery();
        return tx;
    }

    protected override DbCommand CreateDbCommand() => new PostgresCommand(inner.CreateCommand(), this);

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return inner.DisposeAsync();
    }
}

/// <summary>An Npgsql command that names <see cref="PostgresConnection"/> as its connection. Dapper hands an Npgsql
/// connection's `IN @list` to PostgreSQL as one array parameter (valid only as `= ANY(@list)`); through this it expands
/// the list into `IN (@list1, @list2, …)` as it does for SQLite, so the fleet's SQL stays the same for both.</summary>
internal sealed class PostgresCommand(NpgsqlCommand inner, PostgresConnection connection) : DbCommand
{
    [AllowNull]
    public override string CommandText
    {
        get => inner.CommandText;
        set => inner.CommandText = value;
    }

    public override int CommandTimeout
    {
        get => inner.CommandTimeout;
        set => inner.CommandTimeout = value;
    }

    public override CommandType CommandType
    {
        get => inner.CommandType;
        set => inner.CommandType = value;
    }

    public override bool DesignTimeVisible
    {
        get => inner.DesignTimeVisible;
        set => inner.DesignTimeVisible = value;
    }

    public override UpdateRowSource UpdatedRowSource
    {
        get => inner.UpdatedRowSource;
        set => inner.UpdatedRowSource = value;
    }

    protected override DbConnection? DbConnection
    {
        get => connection;
        set
        {
            if (value is not null && value != connection) throw new InvalidOperationException("a fleet command stays on its connection");
        }
    }

    protected override DbParameterCollection DbParameterCollection => inner.Parameters;

    protected override DbTransaction? DbTransaction
    {
        get => inner.Transaction;
        set => inner.Transaction = (NpgsqlTransaction?)value;
    }

    public override void Cancel() => inner.Cancel();
    public override void Prepare() => inner.Prepare();
    public override int ExecuteNonQuery() => inner.ExecuteNonQuery();
    public override object? ExecuteScalar() => inner.ExecuteScalar();
    public override Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken) => inner.ExecuteNonQueryAsync(cancellationToken);
    public override Task<object?> ExecuteScalarAsync(CancellationToken cancellationToken) => inner.ExecuteScalarAsync(cancellationToken);
    protected override DbParameter CreateDbParameter() => inner.CreateParameter();
    protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior) => inner.ExecuteReader(behavior);

    protected override async Task<DbDataReader> ExecuteDbDataReaderAsync(CommandBehavior behavior, CancellationToken cancellationToken) =>
        await inner.ExecuteReaderAsync(behavior, cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
