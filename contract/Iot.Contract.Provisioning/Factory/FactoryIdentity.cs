namespace Iot.Contract.Factory;

/// <summary>What the factory gives one gateway: its id, the claim code on its label and its bootstrap secret.</summary>
public sealed record FactoryIdentity(string Id, string ClaimCode, string BootstrapSecret, DateTimeOffset Created);
