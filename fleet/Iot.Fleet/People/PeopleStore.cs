using System.Data.Common;
using System.Text.RegularExpressions;
using Dapper;
using Iot.Fleet.Api;
using Iot.Fleet.Audit;
using Iot.Fleet.Storage;

namespace Iot.Fleet.People;

/// <summary>Someone who signs in. <see cref="SessionEpoch"/> rises when their password, role or state
/// changes, which ends their open sessions.</summary>
public sealed record Person(long Id, string Login, string Name, string Role, string? Squad, DateTimeOffset CreatedAt, DateTimeOffset? DisabledAt, long SessionEpoch)
{
    public bool Disabled => DisabledAt is not null;
}

/// <summary>A person as the API and the audit log show them: never a password or its hash.</summary>
public sealed record PersonView(string Login, string Name, string Role, string? Squad, DateTime Created, bool Disabled)
{
    public static PersonView Of(Person p) => new(p.Login, p.Name, p.Role, p.Squad, p.CreatedAt.UtcDateTime, p.Disabled);
}

/// <summary>What PATCH /api/people/{login} may change; null leaves a field as it is.</summary>
public sealed record PersonChange(string? Name = null, string? Role = null, string? Squad = null, bool? Disabled = null, string? Password = null);

/// <summary>People in the fleet database. Every change writes its audit entry in the same transaction.</summary>
public sealed partial class PeopleStore(FleetDatabase database, TimeProvider clock)
{
    private const string Columns = "id AS Id, login AS Login, name AS Name, role AS Role, squad AS Squad, created_at AS CreatedAt, disabled_at AS DisabledAt, session_epoch AS SessionEpoch";

    public Person? Find(string login)
    {
        using var connection = database.Open();
        return Read(connection, null, "login = @login", new { login });
    }

    public Person? Find(long id)
    {
        using var connection = database.Open();
        return Read(connection, null, "id = @id", new { id });
    }

    public IReadOnlyList<Person> All()
    {
        using var connection = database.Open();
        return connection.Query<Row>($"SELECT {Columns} FROM people ORDER BY login").Select(r => r.Person).ToList();
    }

    /// <summary>The person when the password is theirs (and whether they are disabled is for the caller to
    /// judge); null otherwise. Unknown logins cost as much time as known ones.</summary>
    public Person? CheckPassword(string login, string password)
    {
        using var connection = database.Open();
        var stored = connection.Query<(long Id, string Hash, string Salt)>(
            "SELECT id, password_hash, password_salt FROM people WHERE login = @login", new { login }).ToList();
        if (stored is not [var s])
        {
            Passwords.VerifyNothing(password);
            return null;
        }
        return Passwords.Verify(password, s.Hash, s.Salt) ? Read(connection, null, "id = @id", new { id = s.Id }) : null;
    }

    public Person Add(string login, string name, string role, string? squad, string password, AuditScope audit)
    {
        if (!LoginPattern().IsMatch(login ?? "")) throw new RefusalException("login must match ^[a-z0-9][a-z0-9._-]{1,63}$");
        if (string.IsNullOrWhiteSpace(name)) throw new RefusalException("name is required");
        if (!Roles.IsKnown(role)) throw new RefusalException($"unknown role '{role}'; known: {string.Join(", ", Roles.All)}");
        if (Passwords.Problem(password) is { } problem) throw new RefusalException(problem);
        var (hash, salt) = Passwords.Hash(password);
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        var inserted = connection.Execute(
            """
            INSERT INTO people (login, name, role, squad, password_hash, password_salt, created_at)
            VALUES (@login, @name, @role, @squad, @hash, @salt, @now) ON CONFLICT (login) DO NOTHING
            """,
            new { login, name = name.Trim(), role, squad = Blank(squad), hash, salt, now = clock.GetUtcNow().ToUnixTimeMilliseconds() }, tx);
        if (inserted == 0) throw new RefusalException($"{login} already exists", StatusCodes.Status409Conflict);
        var person = Read(connection, tx, "login = @login", new { login })!;
        audit.Describe($"person:{login}", null, PersonView.Of(person)).WriteIn(connection, tx);
        tx.Commit();
        return person;
    }

    /// <summary>Applies a change; a new password, role or disabled state ends the person's open sessions.
    /// Refuses to leave the fleet without an enabled admin.</summary>
    public Person Change(string login, PersonChange change, AuditScope audit)
    {
        if (change.Role is not null && !Roles.IsKnown(change.Role)) throw new RefusalException($"unknown role '{change.Role}'; known: {string.Join(", ", Roles.All)}");
        if (change.Name is not null && string.IsNullOrWhiteSpace(change.Name)) throw new RefusalException("name cannot be empty");
        if (change.Password is not null && Passwords.Problem(change.Password) is { } problem) throw new RefusalException(problem);
        var password = change.Password is null ? ((string, string)?)null : Passwords.Hash(change.Password);
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        var before = Read(connection, tx, "login = @login", new { login }) ?? throw new RefusalException($"no person {login}", StatusCodes.Status404NotFound);
        var role = change.Role ?? before.Role;
        var disabled = change.Disabled ?? before.Disabled;
        if (before is { Role: Roles.Admin, Disabled: false } && (role != Roles.Admin || disabled)
            && connection.ExecuteScalar<long>("SELECT COUNT(*) FROM people WHERE role = @admin AND disabled_at IS NULL", new { admin = Roles.Admin }, tx) <= 1)
            throw new RefusalException($"{login} is the last enabled admin; make another admin first", StatusCodes.Status409Conflict);
        var endsSessions = password is not null || role != before.Role || disabled != before.Disabled;
        connection.Execute(
            """
            UPDATE people SET name = @name, role = @role, squad = @squad, disabled_at = @disabledAt,
                password_hash = COALESCE(@hash, password_hash), password_salt = COALESCE(@salt, password_salt),
                session_epoch = session_epoch + @bump
            WHERE id = @Id
            """,
            new
            {
                before.Id, name = change.Name?.Trim() ?? before.Name, role, squad = change.Squad is null ? before.Squad : Blank(change.Squad),
                disabledAt = disabled ? (before.DisabledAt ?? clock.GetUtcNow()).ToUnixTimeMilliseconds() : (long?)null,
                hash = password?.Item1, salt = password?.Item2, bump = endsSessions ? 1 : 0,
            }, tx);
        var after = Read(connection, tx, "id = @Id", new { before.Id })!;
        audit.Describe($"person:{login}", PersonView.Of(before), PersonView.Of(after), change.Password is null ? null : "password changed").WriteIn(connection, tx);
        tx.Commit();
        return after;
    }

    /// <summary>Where a generated first admin password goes, in the fleet's data folder.</summary>
    public const string FirstAdminPasswordFile = "admin_password";

    /// <summary>On a fleet without people: creates `admin` with Fleet:InitialAdminPassword, or a generated password
    /// written to <paramref name="passwordFile"/> (mode 0600; the log says where, never what). Returns the generated
    /// password, if any.</summary>
    public string? EnsureFirstAdmin(string? configuredPassword, string passwordFile, AuditLog log, ILogger logger)
    {
        using (var connection = database.Open())
            if (connection.ExecuteScalar<long>("SELECT COUNT(*) FROM people") > 0) return null;
        var generated = configuredPassword is { Length: > 0 } ? null : Passwords.NewSecret(15);
        try
        {
            Add("admin", "Administrator", Roles.Admin, null, generated ?? configuredPassword!,
                AuditScope.ForSystem(log, "fleet", "person.create").Describe("person:admin", null, null, "first start: no people yet"));
        }
        catch (RefusalException e) when (e.Status == StatusCodes.Status409Conflict)
        {
            return null; // another fleet instance made it first
        }
        if (generated is not null)
            logger.LogWarning("No people yet and no Fleet:InitialAdminPassword: created person 'admin'; its password is in {Path} (readable by this user only; sign in, change it, delete the file)",
                Iot.Fleet.Storage.SecretFile.Write(passwordFile, generated));
        else
            logger.LogInformation("No people yet: created person 'admin' with the password from Fleet:InitialAdminPassword");
        return generated;
    }

    private static Person? Read(DbConnection connection, DbTransaction? tx, string where, object args) =>
        connection.QuerySingleOrDefault<Row>($"SELECT {Columns} FROM people WHERE {where}", args, tx)?.Person;

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{1,63}$")]
    private static partial Regex LoginPattern();

    private sealed record Row(long Id, string Login, string Name, string Role, string? Squad, long CreatedAt, long? DisabledAt, long SessionEpoch)
    {
        public Person Person => new(Id, Login, Name, Role, Squad, DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt),
            DisabledAt is { } d ? DateTimeOffset.FromUnixTimeMilliseconds(d) : null, SessionEpoch);
    }
}
