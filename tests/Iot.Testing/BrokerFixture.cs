using Iot.Stack;
using Xunit;

namespace Iot.Testing;

/// <summary>A private Mosquitto on a free loopback port for one test collection.</summary>
public class BrokerFixture : IDisposable
{
    public BrokerFixture() => Broker = MosquittoBroker.Start(Options());

    /// <summary>The running broker.</summary>
    public MosquittoBroker Broker { get; }

    public string Host => Broker.Host;
    public int Port => Broker.Port;

    /// <summary>Override to start the broker with other limits.</summary>
    protected virtual MosquittoOptions Options() => new();

    public void Dispose()
    {
        Broker.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>A private InfluxDB on a free loopback port for one test collection.</summary>
public sealed class InfluxFixture : IDisposable
{
    public InfluxServer Influx { get; } = InfluxServer.Start();

    public void Dispose() => Influx.Dispose();
}

/// <summary>Tests that share one broker.</summary>
[CollectionDefinition(Name)]
public sealed class BrokerCollection : ICollectionFixture<BrokerFixture>
{
    public const string Name = "broker";
}

/// <summary>Tests that share one InfluxDB.</summary>
[CollectionDefinition(Name)]
public sealed class InfluxCollection : ICollectionFixture<InfluxFixture>
{
    public const string Name = "influx";
}
