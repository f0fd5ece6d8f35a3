using System.Data.Common;
using Dapper;
using Iot.Fleet.Api;
using Iot.Fleet.Audit;
using Iot.Fleet.Storage;

namespace Iot.Fleet.Registry;

/// <summary>Body of POST /api/parties, and of PATCH /api/parties/{code} (absent: unchanged; an empty text clears an optional
/// field; `code` is ignored there, `reason` is required).</summary>
public sealed record PartyRequest(string? Code, string? Name, string? Contact = null, string? Phone = null, string? Address = null, string? Reason = null,
    long? Version = null);

/// <summary>A liable party with its sites (GET /api/parties/{code}).</summary>
public sealed record PartyView(string Code, string Name, string? Contact, string? Phone, string? Address, long Version, IReadOnlyList<string> Sites);

/// <summary>The register of liable parties (责任主体台账): who answers for a site, by unified social credit code. Edits keep
/// their history (<see cref="RegisterHistory"/>); a party is never deleted (old notices name it).</summary>
public sealed class PartyRegister(FleetDatabase database)
{
    public PartyView Add(PartyRequest request, AuditScope audit)
    {
        var party = Checked(new LiableParty(request.Code?.Trim().ToUpperInvariant() ?? "", request.Name?.Trim() ?? "", RegisterText.Optional(request.Contact), RegisterText.Optional(request.Phone),
            RegisterText.Optional(request.Address)));
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        if (connection.Execute(
                """
                INSERT INTO parties (code, name, contact, phone, address, created_at) VALUES (@Code, @Name, @Contact, @Phone, @Address, @now)
                ON CONFLICT (code) DO NOTHING
                """, new { party.Code, party.Name, party.Contact, party.Phone, party.Address, now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }, tx) == 0)
            throw RefusalException.Conflict($"liable party {party.Code} is already in the register");
        audit.Describe($"party:{party.Code}", null, party).WriteIn(connection, tx);
        tx.Commit();
        return Get(party.Code)!;
    }

    public PartyView Edit(string code, PartyRequest change, AuditScope audit)
    {
        if (string.IsNullOrWhiteSpace(change.Reason)) throw new RefusalException("say why the party changes (`reason`): its history keeps it");
        if (change.Reason.Length > 500) throw new RefusalException($"the reason has {change.Reason.Length} characters; at most 500");
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        var row = Read(connection, tx, code) ?? throw RefusalException.NotFound("liable party", code);
        if (change.Version is { } expected && expected != row.Version)
            throw RefusalException.Conflict($"liable party {code} was edited meanwhile (version {row.Version}, not {expected}); read it again");
        var before = new LiableParty(row.Code, row.Name, row.Contact, row.Phone, row.Address);
        var after = Checked(before with
        {
            Name = change.Name?.Trim() ?? before.Name,
            Contact = RegisterText.Change(change.Contact, before.Contact),
            Phone = RegisterText.Change(change.Phone, before.Phone),
            Address = RegisterText.Change(change.Address, before.Address),
        });
        if (after == before) return ToView(connection, tx, row);
        if (connection.Execute(
                "UPDATE parties SET name = @Name, contact = @Contact, phone = @Phone, address = @Address, version = version + 1 WHERE code = @Code AND version = @old",
                new { after.Name, after.Contact, after.Phone, after.Address, after.Code, old = row.Version }, tx) == 0)
            throw RefusalException.Conflict($"liable party {code} was edited meanwhile; read it again");
        RegisterHistory.Add(connection, tx, RegisterHistory.Parties, code, "edited", audit.Actor.Name, change.Reason, before, after);
        audit.Describe($"party:{code}", before, after, change.Reason).WriteIn(connection, tx);
        tx.Commit();
        return Get(code)!;
    }

    public PartyView? Get(string code)
    {
        using var connection = database.Open();
        return Read(connection, null, code) is { } row ? ToView(connection, null, row) : null;
    }

    /// <summary>The party as it stood at <paramref name="at"/> (a notice names the party as it was when the lead was raised).</summary>
    public LiableParty? At(string code, DateTimeOffset at)
    {
        using var connection = database.Open();
        return RegisterHistory.At<LiableParty>(connection, RegisterHistory.Parties, code, at)
            ?? (Read(connection, null, code) is { } row ? new LiableParty(row.Code, row.Name, row.Contact, row.Phone, row.Address) : null);
    }

    public IReadOnlyList<RegisterChange>? History(string code)
    {
        using var connection = database.Open();
        return Read(connection, null, code) is null ? null : RegisterHistory.Of(connection, RegisterHistory.Parties, code);
    }

    public IReadOnlyList<PartyView> All()
    {
        using var connection = database.Open();
        var sites = connection.Query<(string party, string id)>("SELECT party, id FROM sites WHERE party IS NOT NULL ORDER BY id").ToLookup(s => s.party, s => s.id);
        return connection.Query<PartyRow>("SELECT code, name, contact, phone, address, version FROM parties ORDER BY code")
            .Select(r => new PartyView(r.Code, r.Name, r.Contact, r.Phone, r.Address, r.Version, [.. sites[r.Code]])).ToList();
    }

    private static LiableParty Checked(LiableParty party)
    {
        if (UnifiedSocialCreditCode.Problem(party.Code) is { } wrong) throw new RefusalException(wrong);
        if (party.Name.Length is 0 or > 100) throw new RefusalException("the party's name (operator or builder, as registered) is required, at most 100 characters");
        if (party.Contact is { Length: > 50 }) throw new RefusalException("the contact has more than 50 characters");
        if (party.Address is { Length: > 200 }) throw new RefusalException("the address has more than 200 characters");
        if (party.Phone is { } phone && PhoneNumber.Problem(phone) is { } badPhone) throw new RefusalException(badPhone);
        return party;
    }

    private static PartyRow? Read(DbConnection connection, DbTransaction? tx, string code) =>
        connection.QueryFirstOrDefault<PartyRow>("SELECT code, name, contact, phone, address, version FROM parties WHERE code = @code", new { code }, tx);

    private static PartyView ToView(DbConnection connection, DbTransaction? tx, PartyRow row) =>
        new(row.Code, row.Name, row.Contact, row.Phone, row.Address, row.Version,
            connection.Query<string>("SELECT id FROM sites WHERE party = @code ORDER BY id", new { code = row.Code }, tx).ToList());

    private sealed record PartyRow(string Code, string Name, string? Contact, string? Phone, string? Address, long Version);
}
