namespace Iot.Fleet.Broker;

/// <summary>One account as a broker must enforce it (a row of <c>broker_accounts</c>).</summary>
public sealed record BrokerAccountEntry(string UserName, BrokerAccountKind Kind, string? Device, string? PasswordHash, bool Revoked);

/// <summary>
/// The one place that makes a broker enforce the fleet's accounts, whose source of truth is the table
/// <c>broker_accounts</c> (<see cref="BrokerAccounts"/>). Mosquitto: <see cref="MosquittoAccountFiles"/> writes its
/// password and ACL files and makes it reload them. A clustered broker that reads the accounts from the database itself
/// (EMQX's PostgreSQL authenticator: fleet/deploy/past-one-machine.md) writes nothing and only disconnects the clients
/// whose accounts were revoked or given a new password.
/// </summary>
public interface IBrokerAuthority
{
    /// <summary>Held while the accounts are read from the database and applied: one applier at a time across fleet
    /// processes, so a slower one never applies an older state over a newer one.</summary>
    IDisposable Exclusive();

    /// <summary>Makes the broker enforce <paramref name="all"/> accounts (in user-name order within each kind);
    /// <paramref name="changed"/> are those changed since the last call (all of them on the first).</summary>
    void Apply(IReadOnlyCollection<BrokerAccountEntry> all, IReadOnlyCollection<BrokerAccountEntry> changed);
}
