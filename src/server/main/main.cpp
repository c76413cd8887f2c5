#include <cstdio>
int main() { std::puts("herald"); return 0; }
