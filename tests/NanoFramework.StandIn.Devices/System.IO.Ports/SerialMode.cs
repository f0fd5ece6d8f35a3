// Mirrors nanoframework/System.IO.Ports: System.IO.Ports/SerialMode.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.IO.Ports
{
    public enum SerialMode
    {
        Normal,
        RS485
    }
}
