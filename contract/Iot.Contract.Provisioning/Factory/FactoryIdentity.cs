namespace Iot.Contract.Factory;

/// <summary>What the factory gives one gateway: its id, the claim code on its label, its bootstrap secret and the password
/// of its setup hotspot (on its label too; null for gateways made before labels carried one).</summary>
public sealed record FactoryIdentity(string Id, string ClaimCode, string BootstrapSecret, DateTimeOffset Created, string? HotspotPassword = null);
