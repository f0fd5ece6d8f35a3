using System.Text.Json;
using Dapper;
using Iot.Fleet.Api;
using Iot.Fleet.Storage;

namespace Iot.Fleet.Cases;

/// <summary>An enforcement squad (中队) and the grid cells (网格) it covers; members are people's logins.</summary>
public sealed record Squad(string Id, string Name, IReadOnlyList<string> Grids, IReadOnlyList<string> Members);

/// <summary>Squads in the fleet database. A grid belongs to one squad at most, so automatic dispatch has one answer.</summary>
public sealed class Squads(FleetDatabase database, TimeProvider clock)
{
    /// <summary>Creates the squad or replaces its name, grids and members; throws when a grid belongs to another squad.</summary>
    public (Squad Squad, Squad? Before) Save(Squad squad)
    {
        if (string.IsNullOrWhiteSpace(squad.Id) || squad.Id.Length > 64) throw new RefusalException("a squad needs an id of up to 64 characters");
        if (string.IsNullOrWhiteSpace(squad.Name)) throw new RefusalException("a squad needs a name");
        var grids = squad.Grids.Select(g => g.Trim()).Where(g => g.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var members = squad.Members.Select(m => m.Trim()).Where(m => m.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        var before = Read(connection, tx, squad.Id);
        foreach (var grid in grids)
            if (connection.ExecuteScalar<string?>("SELECT squad FROM squad_grids WHERE grid = @grid", new { grid }, tx) is { } owner && owner != squad.Id)
                throw new RefusalException($"grid {grid} already belongs to squad {owner}; take it from that squad first", StatusCodes.Status409Conflict);
        connection.Execute(
            """
            INSERT INTO squads (id, name, members, created_at, updated_at) VALUES (@Id, @name, @members, @now, @now)
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, members = excluded.members, updated_at = excluded.updated_at
            """, new { squad.Id, name = squad.Name.Trim(), members = JsonSerializer.Serialize(members), now }, tx);
        connection.Execute("DELETE FROM squad_grids WHERE squad = @Id", new { squad.Id }, tx);
        foreach (var grid in grids) connection.Execute("INSERT INTO squad_grids (grid, squad) VALUES (@grid, @Id)", new { grid, squad.Id }, tx);
        var saved = Read(connection, tx, squad.Id)!;
        tx.Commit();
        return (saved, before);
    }

    public IReadOnlyList<Squad> All()
    {
        using var connection = database.Open();
        return connection.Query<string>("SELECT id FROM squads ORDER BY id").Select(id => Read(connection, null, id)!).ToList();
    }

    public Squad? Find(string id)
    {
        using var connection = database.Open();
        return Read(connection, null, id);
    }

    /// <summary>The squad owning <paramref name="grid"/>, or null.</summary>
    public static Squad? OwnerOf(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? tx, string? grid) =>
        grid is null ? null
            : connection.ExecuteScalar<string?>("SELECT squad FROM squad_grids WHERE grid = @grid", new { grid }, tx) is { } id ? Read(connection, tx, id) : null;

    internal static Squad? Read(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? tx, string id)
    {
        var row = connection.QueryFirstOrDefault<(string Id, string Name, string Members)?>("SELECT id, name, members FROM squads WHERE id = @id", new { id }, tx);
        if (row is not { } r) return null;
        var grids = connection.Query<string>("SELECT grid FROM squad_grids WHERE squad = @id ORDER BY grid", new { id }, tx).ToList();
        return new Squad(r.Id, r.Name, grids, JsonSerializer.Deserialize<List<string>>(r.Members) ?? []);
    }
}
