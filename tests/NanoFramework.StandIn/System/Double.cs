// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/Double.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    [Serializable]
    public struct Double
    {
        internal double _value;
        public const double MinValue = -1.7976931348623157E+308;
        public const double MaxValue = 1.7976931348623157E+308;
        public const double Epsilon = 4.9406564584124650E-324;
        public const double NegativeInfinity = -1.0 / 0.0;
        public const double PositiveInfinity = 1.0 / 0.0;
        public const double NaN = 0.0 / 0.0;
        public int CompareTo(double value) { throw new NotImplementedException(); }
        public static bool IsInfinity(double d) { throw new NotImplementedException(); }
        public static bool IsNaN(double d) { throw new NotImplementedException(); }
        public static bool IsNegativeInfinity(double d) { throw new NotImplementedException(); }
        public static bool IsPositiveInfinity(double d) { throw new NotImplementedException(); }
        public static double Parse(string s) { throw new NotImplementedException(); }
        public override string ToString() { throw new NotImplementedException(); }
        public string ToString(string format) { throw new NotImplementedException(); }
        public static bool TryParse(string s, out double result) { throw new NotImplementedException(); }
    }
}
