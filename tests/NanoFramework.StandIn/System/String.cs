// Mirrors nanoframework/CoreLibrary: nanoFramework.CoreLibrary/System/String.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System
{
    using Collections;

    [Serializable]
    public sealed class String : IComparable, IEnumerable
    {
        public static readonly string Empty = "";
        public String(char[] value, int startIndex, int length) { }
        public String(char[] value) { }
        public String(char c, int count) { }
        public int Length { get { throw new NotImplementedException(); } }
        [Runtime.CompilerServices.IndexerName("Chars")]
        public char this[int index] { get { throw new NotImplementedException(); } }
        public override bool Equals(object obj) { throw new NotImplementedException(); }
        public static bool Equals(string a, string b) { throw new NotImplementedException(); }
        public static bool operator ==(string a, string b) { throw new NotImplementedException(); }
        public static bool operator !=(string a, string b) { throw new NotImplementedException(); }
        public override int GetHashCode() { throw new NotImplementedException(); }
        public char[] ToCharArray() { throw new NotImplementedException(); }
        public string Substring(int startIndex) { throw new NotImplementedException(); }
        public string Substring(int startIndex, int length) { throw new NotImplementedException(); }
        public int IndexOf(char value) { throw new NotImplementedException(); }
        public int IndexOf(string value) { throw new NotImplementedException(); }
        public int CompareTo(object value) { throw new NotImplementedException(); }
        public static int Compare(string strA, string strB) { throw new NotImplementedException(); }
        public string Trim() { throw new NotImplementedException(); }
        public string ToLower() { throw new NotImplementedException(); }
        public string ToUpper() { throw new NotImplementedException(); }
        public override string ToString() { throw new NotImplementedException(); }
        public static string Concat(object arg0) { throw new NotImplementedException(); }
        public static string Concat(object arg0, object arg1) { throw new NotImplementedException(); }
        public static string Concat(object arg0, object arg1, object arg2) { throw new NotImplementedException(); }
        public static string Concat(params object[] args) { throw new NotImplementedException(); }
        public static string Concat(string str0, string str1) { throw new NotImplementedException(); }
        public static string Concat(string str0, string str1, string str2) { throw new NotImplementedException(); }
        public static string Concat(string str0, string str1, string str2, string str3) { throw new NotImplementedException(); }
        public static string Concat(params string[] values) { throw new NotImplementedException(); }
        public static bool IsNullOrEmpty(string value) { throw new NotImplementedException(); }
        public IEnumerator GetEnumerator() { throw new NotImplementedException(); }
    }
}
