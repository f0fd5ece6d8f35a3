// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/ArgumentNullException.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    [Serializable]
    public class ArgumentNullException : ArgumentException
    {
        public ArgumentNullException() { }
        public ArgumentNullException(string argument) : base(null, argument) { }
        public ArgumentNullException(string paramName, string message) : base(message, paramName) { }
    }
}
