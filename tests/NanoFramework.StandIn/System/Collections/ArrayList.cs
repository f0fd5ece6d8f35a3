// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/Collections/ArrayList.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Collections
{
    // Only the type: M2Mqtt's Publish takes an ArrayList of MQTT 5 user properties, which the gateway passes as null.
    [Serializable]
    public class ArrayList
    {
        public ArrayList() { }
    }
}
