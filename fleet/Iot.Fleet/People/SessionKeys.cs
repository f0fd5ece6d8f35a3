using System.Xml.Linq;
using Dapper;
using Iot.Fleet.Storage;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace Iot.Fleet.People;

/// <summary>The keys that sign session cookies, kept in the fleet database so sessions survive a restart
/// and every fleet instance on the same database accepts the same cookies.</summary>
public sealed class SessionKeys(FleetDatabase database) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var connection = database.Open();
        return connection.Query<string>("SELECT xml FROM session_keys ORDER BY name").Select(x => XElement.Parse(x)).ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var connection = database.Open();
        connection.Execute("INSERT INTO session_keys (name, xml) VALUES (@friendlyName, @xml) ON CONFLICT (name) DO UPDATE SET xml = excluded.xml",
            new { friendlyName, xml = element.ToString(SaveOptions.DisableFormatting) });
    }
}
